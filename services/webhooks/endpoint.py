"""One endpoint's deliveries: its own reader of the events topic, in log order, one at a time.

Each endpoint reads from its own cursor, so a failing endpoint falls behind alone and never
holds up another. A record is delivered until the endpoint acknowledges it (2xx), with
backoff in between; only then does the stored cursor move past it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from standardwebhooks.webhooks import Webhook

from projections.directory import Redelivery, WebhookRecord
from projections.follower import ConsumerFactory
from projections.kafka_client import stop_within
from services.webhooks.backoff import Backoff
from services.webhooks.delivery import Deliverer, signed_headers
from services.webhooks.matching import event_for, message_id
from services.webhooks.progress import Progress, ProgressWriter

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
BATCH = 200


class Interrupted(Exception):
    """A redelivery request arrived: what was being delivered is read again from its new point."""


class EndpointWorker:
    def __init__(
        self,
        record: WebhookRecord,
        secret: str,
        consumer_factory: ConsumerFactory,
        topic: str,
        partitions: list[int],
        stored: Progress | None,
        deliverer: Deliverer,
        writer: ProgressWriter,
        backoff: Backoff,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.record = record
        self._signer = Webhook(secret)
        self._consumer_factory = consumer_factory
        self._tps = [TopicPartition(topic, p) for p in partitions]
        self.progress = stored
        self._deliverer = deliverer
        self._writer = writer
        self._backoff = backoff
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"webhook:{self.record.webhook_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def update(self, record: WebhookRecord) -> None:
        """The directory's latest view of this webhook (a redelivery request, say)."""
        self.record = record
        if self._pending_redelivery() is not None:
            self._wake.set()

    async def _run(self) -> None:
        while True:
            consumer = self._consumer = self._consumer_factory()
            try:
                await consumer.start()
                consumer.assign(self._tps)
                await self._deliver_from_cursor(consumer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook %s: delivery loop failed; going on from its cursor", self.record.webhook_id)
                await asyncio.sleep(1.0)
            finally:
                await stop_within(consumer)

    async def _deliver_from_cursor(self, consumer: AIOKafkaConsumer) -> None:
        progress = self.progress or await self._first_progress(consumer)
        self.progress = progress
        for tp in self._tps:
            consumer.seek(tp, progress.cursor.get(tp.partition, 0))
        while True:
            redelivery = self._pending_redelivery()
            if redelivery is not None:
                await self._redeliver(consumer, redelivery)
                continue
            try:
                await self._deliver_batch(consumer)
            except Interrupted:
                continue

    async def _deliver_batch(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(*self._tps, timeout_ms=500, max_records=BATCH)
        cursor = dict(self._current().cursor)
        for tp, records in batches.items():
            for record in records:
                if await self._deliver_record(record):
                    cursor = dict(self._current().cursor)  # stored with the acknowledgement
                cursor[tp.partition] = record.offset + 1
        for tp in self._tps:
            # The position, not the last offset + 1: transaction markers take offsets too.
            cursor[tp.partition] = max(cursor.get(tp.partition, 0), await consumer.position(tp))
        if cursor != self._current().cursor:
            await self._store(self._current().model_copy(update={"cursor": cursor, "updated_at": self._clock()}))

    async def _deliver_record(self, record: ConsumerRecord) -> bool:
        """Deliver one record if this endpoint wants it; True once acknowledged, False if not wanted."""
        event = event_for(self.record, record.value)
        if event is None:
            return False
        body = record.value.decode()  # the CloudEvent exactly as on the log
        msg_id = message_id(self.record.webhook_id, event.id)
        while True:
            if self._pending_redelivery() is not None:
                raise Interrupted()
            outcome = await self._deliverer.post(
                self.record.url, signed_headers(self._signer, msg_id, body, self._clock()), body
            )
            if outcome.acknowledged:
                await self._acknowledged(record, event.id)
                return True
            await self._failed(outcome.detail)

    async def _acknowledged(self, record: ConsumerRecord, event_id: str) -> None:
        progress = self._current()
        now = self._clock()
        await self._store(progress.model_copy(update={
            "cursor": {**progress.cursor, record.partition: record.offset + 1},
            "delivered": progress.delivered + 1, "last_delivered_at": now, "last_event_id": event_id,
            "consecutive_failures": 0, "last_error": None, "next_attempt_at": None, "updated_at": now,
        }))  # fmt: skip

    async def _failed(self, detail: str) -> None:
        progress = self._current()
        failures = progress.consecutive_failures + 1
        delay = self._backoff.delay(failures)
        now = self._clock()
        log.info("webhook %s: attempt failed (%s); next in %.2f s", self.record.webhook_id, detail, delay)
        await self._store(progress.model_copy(update={
            "consecutive_failures": failures, "last_error": detail,
            "next_attempt_at": now + timedelta(seconds=delay), "updated_at": now,
        }))  # fmt: skip
        self._wake.clear()
        if self._pending_redelivery() is not None:
            return
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()  # a redelivery request cuts the wait short
        except TimeoutError:
            pass

    async def _redeliver(self, consumer: AIOKafkaConsumer, redelivery: Redelivery) -> None:
        """Move the cursor back to the request's point; never forward: nothing unacknowledged is skipped."""
        if redelivery.from_positions is not None:
            target = dict(redelivery.from_positions)
        else:
            assert redelivery.from_time is not None
            target = await self._offsets_at(consumer, redelivery.from_time)
        progress = self._current()
        cursor = {p: min(offset, target.get(p, offset)) for p, offset in progress.cursor.items()}
        for tp in self._tps:
            consumer.seek(tp, cursor.get(tp.partition, 0))
        log.info("webhook %s: redelivering from %s", self.record.webhook_id, cursor)
        await self._store(progress.model_copy(
            update={"cursor": cursor, "redelivery_id": redelivery.request_id, "updated_at": self._clock()}
        ))  # fmt: skip

    async def _first_progress(self, consumer: AIOKafkaConsumer) -> Progress:
        """A new endpoint gets what was appended from its registration on, wherever the dispatcher was then."""
        cursor = await self._offsets_at(consumer, self.record.created_at)
        return Progress(
            webhook_id=self.record.webhook_id, tenant_id=self.record.tenant_id, cursor=cursor, updated_at=self._clock()
        )

    async def _offsets_at(self, consumer: AIOKafkaConsumer, moment: datetime) -> dict[int, int]:
        # The ends first: a partition with nothing at or after `moment` yet starts at its end as it
        # was before the lookup, so a record appended in between is still read.
        ends = await consumer.end_offsets(self._tps)
        found = await consumer.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in self._tps})
        return {tp.partition: (at.offset if (at := found.get(tp)) is not None else ends[tp]) for tp in self._tps}

    def _pending_redelivery(self) -> Redelivery | None:
        redelivery = self.record.redelivery
        if redelivery is None or self.progress is None or redelivery.request_id == self.progress.redelivery_id:
            return None
        return redelivery

    def _current(self) -> Progress:
        assert self.progress is not None
        return self.progress

    async def _store(self, progress: Progress) -> None:
        self.progress = progress
        await self._writer.save(progress)
