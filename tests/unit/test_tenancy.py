from datetime import UTC, datetime

import pytest

from contracts.tenancy import ApiKeyIssued, hash_key
from projections.directory import Directory, evolve_directory
from services.tenancy import (
    AdminContext,
    UnknownKey,
    UnknownTenant,
    decide_create_tenant,
    decide_issue_key,
    decide_revoke_key,
)

CTX = AdminContext(actor="admin", now=datetime(2026, 1, 1, tzinfo=UTC), event_id="ev")


def fold(events: list) -> Directory:
    directory = Directory()
    for event in events:
        directory = evolve_directory(directory, event)
    return directory


def test_a_new_tenant_comes_with_a_key_kept_only_as_a_hash() -> None:
    events, issued = decide_create_tenant("Acme", "tnt_1", ("key_1", "etk_secret"), CTX)
    assert [e.type for e in events] == ["tenant.created.v1", "apikey.issued.v1"]
    assert "etk_secret" not in "".join(e.model_dump_json() for e in events)
    directory = fold(events)
    assert directory.tenants == {"tnt_1": "Acme"}
    assert directory.active[hash_key("etk_secret")].tenant_id == "tnt_1"
    assert issued.secret == "etk_secret"


def test_revoked_keys_stop_being_active_and_replays_change_nothing() -> None:
    events, _ = decide_create_tenant("Acme", "tnt_1", ("key_1", "s1"), CTX)
    directory = fold(events)
    more, _ = decide_issue_key(directory, "tnt_1", ("key_2", "s2"), CTX)
    directory = fold([*events, *more])
    revoke = decide_revoke_key(directory, "key_1", CTX)
    after = fold([*events, *more, *revoke, *events, *revoke])
    assert set(after.active) == {hash_key("s2")}
    assert after.keys["key_1"].revoked


def test_keys_for_unknown_tenants_and_unknown_keys_are_refused() -> None:
    with pytest.raises(UnknownTenant):
        decide_issue_key(Directory(), "tnt_x", ("k", "s"), CTX)
    with pytest.raises(UnknownKey):
        decide_revoke_key(Directory(), "key_x", CTX)
    stray = decide_issue_key(Directory(tenants={"tnt_x": "X"}), "tnt_x", ("k", "s"), CTX)[0][0]
    assert isinstance(stray, ApiKeyIssued)
    assert evolve_directory(Directory(), stray) == Directory(), "a key of a tenant nobody created is ignored"
