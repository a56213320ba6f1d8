"""Records no reader can apply go to the dead-letter topic, once each, bytes untouched when they fit.

A letter carries the original key, value and headers, plus `dlq_cause` (a short category),
`dlq_reason`, and where the record sits: `dlq_topic`, `dlq_partition`, `dlq_offset`. A record
too large for the dead-letter topic once those are added is replaced by a smaller letter: the
first bytes of its value, its size and sha256 (`dlq_original_bytes`, `dlq_original_sha256`),
and `dlq_replaced`.

Once: the handler re-reads a partition from its low watermark after every restart or
rebalance, and would judge the same poison again. Each source partition is read in offset
order and each letter is acknowledged before the next record is judged, so the letters of a
partition land in offset order: the highest `dlq_offset` already on the topic says which
records were dealt with. `DeadLetterLedger` keeps that per source partition, reading only
letters it has not seen yet, and a re-read record at or below it is not written again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from contracts.codec import Headers, Record
from services.kafka_io import PublishFailed, SendFn

log = logging.getLogger(__name__)

MAX_LETTER_BYTES = 1_000_000
"""Below the broker's default `max.message.bytes` (1 MiB + 12), which the dead-letter topic keeps."""
EXCERPT_BYTES = 64 * 1024
"""How much of a value too large to keep travels in its replacement letter."""
MAX_REASON_CHARS = 1000
LETTER_ATTEMPTS = 3
RECORD_OVERHEAD_BYTES = 128
"""A record's framing and a batch's header, generously."""
LEDGER_READ_TIMEOUT_S = 30.0

TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


class Cause(str, Enum):
    UNDECODABLE = "undecodable"
    SEQUENCE_GAP = "sequence_gap"
    INVALID_TRANSITION = "invalid_transition"
    UNKNOWN_EXECUTION = "unknown_execution"
    DUPLICATE_CREATED = "duplicate_created"
    HANDLER_ERROR = "handler_error"


@dataclass(frozen=True, slots=True)
class Rejection:
    cause: Cause
    reason: str


class DeadLetterFailed(PublishFailed):
    """The letter could not be written: the record has not been dealt with."""


LetterSource = Callable[[int], Awaitable[tuple[list[Headers], int]]]
"""From a position on the dead-letter topic: the headers of every letter up to its end, and
the position after them."""


class DeadLetterLedger:
    """The highest offset of each source partition already on the dead-letter topic."""

    def __init__(self, read_from: LetterSource) -> None:
        self._read_from = read_from
        self._position = 0
        self._highest: dict[tuple[str, int], int] = {}

    async def catch_up(self) -> None:
        """Read the letters written since the last call (by anyone): the topic is the truth."""
        headers, self._position = await self._read_from(self._position)
        for letter in headers:
            found = _position_of(letter)
            if found is not None:
                self.note(*found)

    def note(self, topic: str, partition: int, offset: int) -> None:
        key = (topic, partition)
        self._highest[key] = max(offset, self._highest.get(key, -1))

    def has(self, record: ConsumerRecord) -> bool:
        offset: int = record.offset
        return offset <= self._highest.get((record.topic, record.partition), -1)


class DeadLetters:
    def __init__(
        self,
        send: SendFn,
        topic: str,
        timeout_s: float,
        ledger: DeadLetterLedger | None = None,
        max_letter_bytes: int = MAX_LETTER_BYTES,
        retry_pause_s: float = 1.0,
    ) -> None:
        self._send = send
        self._topic = topic
        self._timeout_s = timeout_s
        self._ledger = ledger
        self._max_letter_bytes = max_letter_bytes
        self._retry_pause_s = retry_pause_s
        self.counts: Counter[str] = Counter()
        """Letters written since start, by cause, plus `replaced` and `already_written`: for operators."""

    async def send(self, record: ConsumerRecord, rejection: Rejection, reread: bool = False) -> bool:
        """Quarantine one record; False when it was re-read and its letter is already there.

        Raises DeadLetterFailed when the letter cannot be written (the broker is away)."""
        if reread and self._ledger is not None and await self._already_written(record):
            self.counts["already_written"] += 1
            return False
        await self._write_fitting(record, rejection)
        if self._ledger is not None:
            self._ledger.note(record.topic, record.partition, record.offset)
        self.counts[rejection.cause.value] += 1
        log.warning(
            "dead-lettered %s:%s:%s (%s): %s [%s dead letters since start]",
            record.topic, record.partition, record.offset, rejection.cause.value, rejection.reason,
            sum(self.counts[cause.value] for cause in Cause),
        )  # fmt: skip
        return True

    async def _already_written(self, record: ConsumerRecord) -> bool:
        assert self._ledger is not None
        try:
            async with asyncio.timeout(LEDGER_READ_TIMEOUT_S):
                await self._ledger.catch_up()
        except (KafkaError, TimeoutError) as error:
            raise DeadLetterFailed(f"cannot read {self._topic} to tell a re-read letter: {error!r}") from error
        return self._ledger.has(record)

    async def _write_fitting(self, record: ConsumerRecord, rejection: Rejection) -> None:
        """The whole record if it fits, else its excerpt, else its position alone."""
        letters = [_letter(record, rejection), _replacement(record, rejection, EXCERPT_BYTES),
                   _replacement(record, rejection, 0)]  # fmt: skip
        fitting = [letter for letter in letters if _size(letter) <= self._max_letter_bytes] or letters[-1:]
        for letter in fitting:
            try:
                await self._write(letter)
            except TOO_LARGE as error:  # the topic's limit is lower than we assumed
                log.warning("dead letter of %s:%s refused as too large: %r", record.partition, record.offset, error)
                continue
            if letter is not letters[0]:
                self.counts["replaced"] += 1
            return
        # Only a misconfigured topic refuses a few hundred bytes; never stall the partition on it.
        self.counts["unwritable"] += 1
        log.error("no dead letter of %s:%s fits %s; the record is skipped", record.partition, record.offset,
                  self._topic)  # fmt: skip

    async def _write(self, letter: Record) -> None:
        for attempt in range(1, LETTER_ATTEMPTS + 1):
            try:
                async with asyncio.timeout(self._timeout_s):
                    await self._send(self._topic, letter)
                return
            except TOO_LARGE:
                raise
            except (KafkaError, TimeoutError) as error:
                log.warning("attempt %s to write a dead letter failed: %r", attempt, error)
                if attempt == LETTER_ATTEMPTS:
                    raise DeadLetterFailed(f"cannot write to {self._topic}: {error!r}") from error
                await asyncio.sleep(self._retry_pause_s)


def _position_headers(record: ConsumerRecord, rejection: Rejection) -> Headers:
    return [
        ("dlq_cause", rejection.cause.value.encode()),
        ("dlq_reason", rejection.reason[:MAX_REASON_CHARS].encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
    ]


def _letter(record: ConsumerRecord, rejection: Rejection) -> Record:
    headers = [*(record.headers or ()), *_position_headers(record, rejection)]
    return Record(record.key or b"", record.value or b"", headers)


def _replacement(record: ConsumerRecord, rejection: Rejection, excerpt_bytes: int) -> Record:
    value = record.value or b""
    original_headers = list(record.headers or ())
    headers = [
        *(original_headers if excerpt_bytes else []),  # the last resort keeps nothing of the original
        *_position_headers(record, rejection),
        ("dlq_replaced", b"the record is too large for the dead-letter topic"),
        ("dlq_original_bytes", str(_size(Record(record.key or b"", value, original_headers))).encode()),
        ("dlq_original_sha256", hashlib.sha256(value).hexdigest().encode()),
    ]
    key = (record.key or b"")[:excerpt_bytes] if excerpt_bytes else b""
    return Record(key, value[:excerpt_bytes], headers)


def _size(record: Record) -> int:
    headers = sum(len(name.encode()) + len(value or b"") for name, value in record.headers)
    return len(record.key) + len(record.value) + headers + RECORD_OVERHEAD_BYTES


def _position_of(headers: Headers) -> tuple[str, int, int] | None:
    found = dict(headers)
    try:
        return found["dlq_topic"].decode(), int(found["dlq_partition"]), int(found["dlq_offset"])
    except (KeyError, AttributeError, UnicodeDecodeError, ValueError):
        return None  # not one of ours


def letters_on(reader: AIOKafkaConsumer, topic: str) -> LetterSource:
    """Read the one-partition dead-letter topic with a group-less reader of its own."""
    tp = TopicPartition(topic, 0)

    async def read_from(position: int) -> tuple[list[Headers], int]:
        reader.assign([tp])
        end = (await reader.end_offsets([tp]))[tp]
        reader.seek(tp, position)
        found: list[Headers] = []
        while await reader.position(tp) < end:
            for letter in (await reader.getmany(tp, timeout_ms=200)).get(tp, []):
                found.append(list(letter.headers or ()))
        return found, max(position, end)

    return read_from
