"""`create_dispatcher(settings)`: the webhooks process, its parts built and wired in one place.

It follows the tenancy topic for the endpoints, the progress topic for where each one stands,
and runs one `EndpointWorker` per endpoint. One dispatcher per events topic: two would each
deliver everything (receivers would drop the repeats by `webhook-id`, but the work is doubled).
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType

from aiokafka import AIOKafkaProducer

from projections.directory import WebhookRecord
from projections.directory_follower import DirectoryFollower
from projections.follower import ConsumerFactory
from projections.kafka_client import make_reader, stop_within
from services.kafka_io import ensure_topics, make_producer, partitions_of
from services.webhooks.delivery import Deliverer, client_session
from services.webhooks.endpoint import EndpointWorker
from services.webhooks.progress import ProgressFollower, ProgressWriter, ensure_progress_topic, progress_topic
from services.webhooks.secrets import SealedSecretUnreadable, SecretBox, load_box
from services.webhooks.settings import DispatcherSettings

log = logging.getLogger(__name__)

FETCH_BYTES = 1024 * 1024
"""Per partition and endpoint: an event is at most this large, and every endpoint has a reader."""


class Dispatcher:
    def __init__(self, settings: DispatcherSettings) -> None:
        self.settings = settings
        self.workers: dict[str, EndpointWorker] = {}
        self._unreadable: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings, kafka = self.settings, self.settings.kafka
        await ensure_topics(kafka)
        await ensure_progress_topic(kafka)
        self._box: SecretBox = load_box(settings.env, settings.data_dir)
        self._partitions = await partitions_of(kafka, kafka.events_topic)
        self._progress = ProgressFollower(self._reader("progress"), progress_topic(kafka.events_topic))
        await self._progress.start()
        self._directory = DirectoryFollower(self._reader("directory"), kafka.tenancy_topic)
        await self._directory.start()
        self._producer: AIOKafkaProducer = make_producer(kafka, client_id=f"{settings.instance_id}-progress")
        await self._producer.start()
        self._writer = ProgressWriter(self._producer, progress_topic(kafka.events_topic), kafka.send_timeout_s)
        self._session = client_session(
            settings.request_timeout_s, settings.max_in_flight, settings.allow_private_targets
        )
        self._deliverer = Deliverer(self._session, settings.max_in_flight, settings.allow_private_targets)
        self._task = asyncio.create_task(self._supervise(), name="webhooks:supervise")

    async def stop(self) -> None:
        """Stops whatever `start` got to, so a start that failed half-way leaves nothing open."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.gather(*(worker.stop() for worker in self.workers.values()))
        self.workers.clear()
        if hasattr(self, "_session"):
            await self._session.close()
        if hasattr(self, "_producer"):
            await stop_within(self._producer)
        if hasattr(self, "_directory"):
            await self._directory.stop()
        if hasattr(self, "_progress"):
            await self._progress.stop()

    async def __aenter__(self) -> Dispatcher:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    def _reader(self, name: str) -> ConsumerFactory:
        servers, instance = self.settings.kafka.bootstrap_servers, self.settings.instance_id
        return lambda: make_reader(servers, f"{instance}-{name}")

    async def _supervise(self) -> None:
        """Keep one worker per registered endpoint, each with the directory's latest view of it."""
        while True:
            try:
                await self._reconcile(self._directory.directory.webhooks)
            except Exception:
                log.exception("webhooks: reconciling the endpoints failed; trying again")
            await asyncio.sleep(self.settings.directory_poll_s)

    async def _reconcile(self, webhooks: dict[str, WebhookRecord]) -> None:
        for webhook_id in [w for w in self.workers if w not in webhooks]:
            await self.workers.pop(webhook_id).stop()
            await self._writer.forget(webhook_id)
        for webhook_id, record in webhooks.items():
            worker = self.workers.get(webhook_id)
            if worker is not None:
                worker.update(record)
            elif webhook_id not in self._unreadable:
                self._start_worker(record)

    def _start_worker(self, record: WebhookRecord) -> None:
        try:
            secret = self._box.open(record.secret_ciphertext, record.tenant_id, record.webhook_id)
        except SealedSecretUnreadable as error:
            # Another key than the gateway's (WEBHOOK_SECRETS_KEY / DATA_DIR differ): say so once.
            log.error("%s (sealed with %s): not delivering to it", error, record.secret_key_id)
            self._unreadable.add(record.webhook_id)
            return
        kafka = self.settings.kafka
        worker = EndpointWorker(
            record,
            secret,
            lambda: make_reader(
                kafka.bootstrap_servers, f"{self.settings.instance_id}-{record.webhook_id}", FETCH_BYTES
            ),
            kafka.events_topic,
            self._partitions,
            self._progress.latest.get(record.webhook_id),
            self._deliverer,
            self._writer,
            self.settings.backoff,
        )
        self.workers[record.webhook_id] = worker
        worker.start()


def create_dispatcher(settings: DispatcherSettings) -> Dispatcher:
    return Dispatcher(settings)
