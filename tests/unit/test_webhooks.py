"""Webhooks' pure parts: backoff, URL checks, sealing, matching, decisions and the directory fold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.codec import encode
from contracts.envelope import Envelope
from contracts.events import ExecutionProgressed, ExecutionStarted, ProgressedData, StartedData
from contracts.tenancy import (
    TENANCY_ADAPTER,
    WEBHOOK_EVENT_TYPES,
    WebhookDeleted,
    WebhookDeletedData,
    WebhookRegistered,
    event_family,
)
from projections.directory import Directory, evolve_directory
from services.gateway.auth import Principal
from services.gateway.commands import CommandContext
from services.webhooks.backoff import Backoff
from services.webhooks.matching import event_for, message_id, wanted
from services.webhooks.registration import (
    CreateWebhookRequest,
    InvalidWebhook,
    WebhookPolicy,
    decide_delete,
    decide_redeliver,
    decide_register,
    parse_from_point,
)
from services.webhooks.secrets import SealedSecretUnreadable, SecretBox, load_box, new_signing_secret
from services.webhooks.targets import url_problems

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CTX = CommandContext(principal=Principal("tnt_a", "key_1"), now=T0, event_id="ev-1", correlation_id="corr-1")
OTHER_CTX = CommandContext(principal=Principal("tnt_b", "key_2"), now=T0, event_id="ev-2", correlation_id="corr-2")
BOX = SecretBox(bytes(range(32)))
PUBLIC = WebhookPolicy(allow_private_targets=False)


def register(
    url: str = "https://hooks.example.com/in", types: list[str] | None = None, policy: WebhookPolicy = PUBLIC
) -> WebhookRegistered:
    body = CreateWebhookRequest(url=url, event_types=types or list(WEBHOOK_EVENT_TYPES))
    return decide_register(body, "wh_1", "whsec_c2VjcmV0", BOX, policy, CTX)


def fold(*events: Envelope) -> Directory:
    """Through the wire format, as the followers read them."""
    directory = Directory()
    for event in events:
        directory = evolve_directory(directory, TENANCY_ADAPTER.validate_json(event.model_dump_json()))
    return directory


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(base_s=1.0, cap_s=60.0)
    assert [backoff.delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 7, 8, 500)] == [1, 2, 4, 8, 60, 60, 60]
    assert [backoff.delay(n, rand=lambda: 0.0) for n in (1, 2, 3)] == [0.5, 1, 2]
    delays = {backoff.delay(3) for _ in range(50)}
    assert len(delays) > 1 and all(2 <= d <= 4 for d in delays)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/in", "https"),
        ("ftp://hooks.example.com/in", "https"),
        ("https://127.0.0.1/in", "loopback"),
        ("https://10.1.2.3/in", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[::1]/in", "loopback"),
        ("https://[::ffff:10.0.0.1]/in", "private"),
        ("https://localhost:8443/in", "loopback"),
        ("https://metadata.google.internal/", "metadata"),
        ("https://user:pw@hooks.example.com/in", "credentials"),
        ("https://hooks.example.com:notaport/in", "not a URL"),
        ("hooks.example.com/in", "https"),
    ],
)
def test_targets_a_webhook_may_not_reach(url: str, problem: str) -> None:
    problems = url_problems(url, allow_private=False)
    assert problems and problem in problems[0]


def test_public_https_targets_pass_and_the_operator_can_allow_local_ones() -> None:
    assert url_problems("https://hooks.example.com:8443/in?x=1", allow_private=False) == []
    assert url_problems("https://93.184.216.34/in", allow_private=False) == []
    assert url_problems("http://127.0.0.1:9000/in", allow_private=True) == []


def test_a_sealed_secret_opens_only_with_its_key_and_its_ids(tmp_path: Path) -> None:
    secret = new_signing_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    sealed = BOX.seal(secret, "tnt_a", "wh_1")
    assert secret not in sealed and BOX.open(sealed, "tnt_a", "wh_1") == secret
    with pytest.raises(SealedSecretUnreadable):
        BOX.open(sealed, "tnt_a", "wh_2")  # copied onto another webhook
    with pytest.raises(SealedSecretUnreadable):
        SecretBox(bytes(32)).open(sealed, "tnt_a", "wh_1")
    made, again = load_box({}, tmp_path), load_box({}, tmp_path)
    assert made.key_id == again.key_id, "the key file is made once and then read"
    assert (tmp_path / "webhook-secrets.key").stat().st_mode & 0o777 == 0o600


def test_registration_keeps_the_secret_sealed_and_folds_into_the_directory() -> None:
    event = register(types=["execution.completed.v1", "execution.created.v1"])
    assert "whsec_c2VjcmV0" not in event.model_dump_json()
    assert event.data.event_types == ("execution.created.v1", "execution.completed.v1")
    directory = fold(event, event)  # a repeat changes nothing
    record = directory.webhooks["wh_1"]
    assert record.tenant_id == "tnt_a" and record.created_at == T0
    assert BOX.open(record.secret_ciphertext, "tnt_a", "wh_1") == "whsec_c2VjcmV0"


def test_bad_registrations_name_each_problem() -> None:
    with pytest.raises(InvalidWebhook) as refused:
        register(url="http://10.0.0.1/x", types=["execution.created.v1", "execution.exploded.v1"])
    fields = [p["field"] for p in refused.value.problems]
    assert fields == ["url", "eventTypes"] and "execution.exploded.v1" in refused.value.problems[1]["problem"]


def test_delete_and_redelivery_fold_only_for_the_owning_tenant() -> None:
    registered = register()
    record = fold(registered).webhooks["wh_1"]
    foreign_delete = WebhookDeleted(
        **OTHER_CTX.envelope("wh_1"), data=WebhookDeletedData(tenant_id="tnt_b", webhook_id="wh_1")
    )
    assert "wh_1" in fold(registered, foreign_delete).webhooks, "another tenant cannot delete it"
    redelivery = decide_redeliver(record, {0: 5, 2: 9}, "req-1", CTX)
    folded = fold(registered, redelivery).webhooks["wh_1"]
    assert folded.redelivery is not None and folded.redelivery.from_positions == ((0, 5), (2, 9))
    deleted = fold(registered, decide_delete(record, CTX), registered)
    assert deleted.webhooks == {}, "a registration appended again after the delete does not bring it back"


def test_from_points_are_times_with_offsets_or_positions() -> None:
    assert parse_from_point("2026-01-01T12:00:00Z") == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert parse_from_point("0:12, 3:40") == {0: 12, 3: 40}
    for bad in ("2026-01-01T12:00:00", "yesterday", "0:x", "0001-01-01T00:00:00+01:00"):
        with pytest.raises(InvalidWebhook):
            parse_from_point(bad)


def test_only_the_tenants_events_of_the_wanted_types_match_and_ids_are_stable() -> None:
    record = fold(register(types=["execution.started.v1"])).webhooks["wh_1"]
    envelope = {"source": "/handler", "subject": "exe_1", "time": T0, "sequence": 2, "actor": "h", "correlationid": "c"}
    mine = ExecutionStarted(id="e1", tenantid="tnt_a", **envelope, data=StartedData())
    theirs = ExecutionStarted(id="e2", tenantid="tnt_b", **envelope, data=StartedData())
    assert event_for(record, encode(mine).value) == mine
    assert event_for(record, encode(theirs).value) is None
    assert event_for(record, b"{not json") is None
    assert message_id("wh_1", "e1") == message_id("wh_1", "e1") != message_id("wh_2", "e1")


def test_a_subscription_names_a_type_in_any_version_and_gets_every_version_of_it() -> None:
    assert event_family("execution.progressed.v2") == event_family("execution.progressed.v1") == "execution.progressed"
    event = register(types=["execution.progressed.v1"])
    assert event.data.event_types == ("execution.progressed.v2",), "kept under its current name"
    record = fold(event).webhooks["wh_1"]
    envelope = {"source": "/handler", "subject": "exe_1", "time": T0, "sequence": 3, "actor": "h", "correlationid": "c"}
    progressed = ExecutionProgressed(id="e3", tenantid="tnt_a", **envelope, data=ProgressedData(percent=5, message="m"))
    assert wanted(record, progressed)
    legacy = replace(record, event_types=frozenset({"execution.progressed.v1"}))  # registered before v2
    assert wanted(legacy, progressed)
