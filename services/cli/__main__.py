"""`executions` (or `python -m services.cli`): tenants and keys, and audits, straight on the log.

    executions tenants create NAME        -> tenant id and its first key (shown once)
    executions keys issue TENANT_ID       -> a new key for the tenant (shown once)
    executions keys revoke KEY_ID
    executions history EXECUTION_ID       -> the execution's timeline, from the log
    executions export --tenant TENANT_ID  -> the tenant's events as JSON Lines (--output FILE)
    executions replay DIR [--compare DB]  -> every read model rebuilt from offset 0 into DIR
              [--workers N]                  (N processes, one per core by default), then
                                             compared table by table with a live one
    executions verify                     -> every execution's hash chain checked; names each
                                             execution whose events were altered, removed,
                                             reordered or inserted (exit status 1 if any)

Reads $KAFKA_BOOTSTRAP_SERVERS and $EVENTS_TOPIC like the services. Every gateway
picks tenancy changes up from the tenancy topic; no gateway needs to be running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.errors import KafkaError

from contracts.envelope import Envelope
from projections.directory import Directory
from projections.directory_follower import DirectoryFollower
from projections.kafka_client import make_reader, stop_within
from services.cli.audit import export, history, verify
from services.cli.replay import compare, rebuild, report
from services.gateway.settings import GatewaySettings
from services.kafka_io import EventPublisher, TopicUnavailable, ensure_topics, make_producer, producer_send
from services.kafka_settings import KafkaSettings
from services.tenancy import (
    AdminContext,
    UnknownKey,
    UnknownTenant,
    decide_create_tenant,
    decide_issue_key,
    decide_revoke_key,
    new_key,
    new_tenant_id,
)

AUDITS = {"history", "export", "replay", "verify"}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="executions", description=__doc__.split("\n\n")[0])
    nouns = parser.add_subparsers(dest="noun", required=True)
    tenants = nouns.add_parser("tenants").add_subparsers(dest="verb", required=True)
    tenants.add_parser("create").add_argument("name")
    keys = nouns.add_parser("keys").add_subparsers(dest="verb", required=True)
    keys.add_parser("issue").add_argument("tenant_id")
    keys.add_parser("revoke").add_argument("key_id")
    nouns.add_parser("history").add_argument("execution_id")
    exporting = nouns.add_parser("export")
    exporting.add_argument("--tenant", required=True)
    exporting.add_argument("--output", type=Path, help="default: standard output")
    nouns.add_parser("verify")
    replaying = nouns.add_parser("replay")
    replaying.add_argument("into", type=Path, help="a fresh directory for the rebuilt read model")
    replaying.add_argument("--compare", type=Path, help="a live read model's SQLite file (default: the gateway's)")
    replaying.add_argument(
        "--workers", type=_positive, help="processes folding partitions at once (default: one per core)"
    )
    return parser.parse_args(_ids_after_dashes(sys.argv[1:] if argv is None else argv))


def _ids_after_dashes(argv: Sequence[str]) -> list[str]:
    """An execution id is url-safe base64 and begins with '-' one time in 64; argparse would take
    it for an option and answer that the id is missing. Given alone, it is put after '--'."""
    args = list(argv)
    if len(args) == 2 and args[0] == "history" and args[1].startswith("-") and args[1] not in ("-h", "--help"):
        return ["history", "--", args[1]]
    return args


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def audit(args: argparse.Namespace, kafka: KafkaSettings) -> int:
    if args.noun == "history":
        found = asyncio.run(history(kafka, args.execution_id, sys.stdout))
        if not found:
            print(f"error: no events of execution {args.execution_id} on the log", file=sys.stderr)
        return 0 if found else 1
    if args.noun == "verify":
        reports = asyncio.run(verify(kafka, sys.stdout))
        return 0 if all(r.intact for r in reports) else 1
    if args.noun == "export":
        with args.output.open("w") if args.output else contextlib.nullcontext(sys.stdout) as out:
            written = asyncio.run(export(kafka, args.tenant, out))
        print(f"{written} events of tenant {args.tenant}", file=sys.stderr)
        return 0
    rebuilt = rebuild(kafka, args.into, workers=args.workers)
    print(f"rebuilt {rebuilt.path} from {rebuilt.records:,} records in {rebuilt.seconds:.1f} s "
          f"({rebuilt.rate:,.0f}/s)", file=sys.stderr)  # fmt: skip
    live = args.compare or GatewaySettings.from_env().db_path
    if not live.exists():
        print(f"no live read model at {live}; nothing to compare", file=sys.stderr)
        return 0
    comparison = compare(rebuilt.path, live)
    report(comparison, sys.stdout)
    return 0 if comparison.equal else 1


def decide(args: argparse.Namespace, directory: Directory) -> tuple[list[Envelope], dict[str, str]]:
    ctx = AdminContext(actor="cli", now=datetime.now(UTC), event_id=str(uuid.uuid4()))
    if args.noun == "tenants":
        tenant_id = new_tenant_id()
        events, issued = decide_create_tenant(args.name, tenant_id, new_key(), ctx)
        return events, {"tenantId": tenant_id, "keyId": issued.key_id, "key": issued.secret}
    if args.verb == "issue":
        events, issued = decide_issue_key(directory, args.tenant_id, new_key(), ctx)
        return events, {"tenantId": issued.tenant_id, "keyId": issued.key_id, "key": issued.secret}
    return decide_revoke_key(directory, args.key_id, ctx), {"revoked": args.key_id}


async def run(args: argparse.Namespace, kafka: KafkaSettings) -> dict[str, str]:
    await ensure_topics(kafka)
    follower = DirectoryFollower(lambda: make_reader(kafka.bootstrap_servers, "executions-cli"), kafka.tenancy_topic)
    await follower.start()
    producer = make_producer(kafka, client_id="executions-cli")
    await producer.start()
    try:
        events, result = decide(args, follower.directory)
        publisher = EventPublisher(producer_send(producer), kafka.tenancy_topic, kafka.send_timeout_s)
        for event in events:
            await publisher.publish(event)
        return result
    finally:
        await stop_within(producer)
        await follower.stop()


def kafka_settings(env: Mapping[str, str] = os.environ) -> KafkaSettings:
    """As the services read them; without KAFKA_BOOTSTRAP_SERVERS, the broker `make run` started
    under $DATA_DIR (its ports are in kafka/ports.json), so the CLI finds it wherever it listens."""
    if "KAFKA_BOOTSTRAP_SERVERS" not in env:
        ports = Path(env.get("DATA_DIR", ".data")) / "kafka" / "ports.json"
        if ports.exists():
            port = json.loads(ports.read_text())["port"]
            return KafkaSettings.from_env({**env, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
    return KafkaSettings.from_env(env)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    kafka = kafka_settings()
    try:
        if args.noun in AUDITS:
            return audit(args, kafka)
        result = asyncio.run(run(args, kafka))
    except TopicUnavailable as error:
        print(f"error: {error} on the broker at {kafka.bootstrap_servers}; the services create it on their "
              "first start, or set EVENTS_TOPIC to the topic they use", file=sys.stderr)  # fmt: skip
        return 2
    except (KafkaError, TimeoutError, OSError) as error:
        where = "set KAFKA_BOOTSTRAP_SERVERS, or DATA_DIR to where `make run` keeps its broker"
        print(
            f"error: cannot reach the Kafka broker at {kafka.bootstrap_servers} ({error!r}); {where}", file=sys.stderr
        )
        return 2
    except UnknownTenant as error:
        print(f"error: no tenant {error}", file=sys.stderr)
        return 1
    except UnknownKey as error:
        print(f"error: no active key {error}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
