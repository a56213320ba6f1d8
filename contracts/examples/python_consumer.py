"""A downstream service's consumer of execution events, in Python: every event checked against the
published JSON Schema (`contracts/schemas/execution-event.json`) before it is used.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 EVENTS_TOPIC=executions.events \\
        python contracts/examples/python_consumer.py --group my-service

It needs only aiokafka and jsonschema, not this project: copy it. Records are read with
`read_committed` (the handler writes in transactions) and keyed by execution id, so one
execution's events arrive in order. A record that does not match the contract is reported and
skipped, never allowed to stop the consumer. Prints one JSON line per event, then a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "execution-event.json"


async def consume(servers: str, topic: str, group: str | None, idle_exit_s: float) -> tuple[int, int]:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()), format_checker=FormatChecker())
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers, group_id=group, auto_offset_reset="earliest",
                                isolation_level="read_committed", enable_auto_commit=group is not None)  # fmt: skip
    await consumer.start()
    valid = invalid = 0
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=int(idle_exit_s * 1000))
            if not batches:
                return valid, invalid  # nothing new for a while: this example stops
            for record in (r for batch in batches.values() for r in batch):
                try:
                    event = json.loads(record.value)
                    validator.validate(event)
                except (ValueError, ValidationError) as error:  # not JSON, or not the contract
                    invalid += 1
                    print(json.dumps({"invalid": f"{record.partition}:{record.offset}", "why": str(error)[:200]}))
                    continue
                valid += 1
                print(json.dumps({"type": event["type"], "subject": event["subject"], "sequence": event["sequence"]}))
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", help="consumer group (omit: read everything, commit nothing)")
    parser.add_argument("--idle-exit-s", type=float, default=5.0, help="stop after this long with nothing new")
    args = parser.parse_args()
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    topic = os.environ.get("EVENTS_TOPIC", "executions.events")
    valid, invalid = asyncio.run(consume(servers, topic, args.group, args.idle_exit_s))
    print(json.dumps({"valid": valid, "invalid": invalid}))
    sys.exit(0)


if __name__ == "__main__":
    main()
