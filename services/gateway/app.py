"""`create_app(settings)`: the one place where the gateway's parts are built and wired."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from contracts.files import TOPIC_MAX_MESSAGE_BYTES
from projections.channels import ChannelFollower
from projections.directory_follower import DirectoryFollower
from projections.file_store import FileStore
from projections.files_follower import FilesFollower
from projections.kafka_client import make_reader
from projections.notifications import ChangeHub
from projections.own_appends import OwnAppends
from projections.runner import ProjectionRunner
from projections.store import ReadModel
from services.catalog import Catalog, demo_catalog
from services.files.extractor import Extractor
from services.gateway import (
    health,
    keys,
    openapi,
    routes_admin,
    routes_channels,
    routes_examples,
    routes_executions,
    routes_feed,
    routes_files,
    routes_pipelines,
    routes_v1,
    routes_webhooks,
)
from services.gateway.admission import AppendGate
from services.gateway.auth import KEYRING, Keyring, auth_middleware
from services.gateway.cors import cors_middleware
from services.gateway.errors import json_errors
from services.gateway.key_locks import KeyLocks
from services.gateway.limits import LimitGuard
from services.gateway.sessions import SESSIONS, SessionStore
from services.gateway.settings import GatewaySettings
from services.gateway.unsettled import Unsettled
from services.gateway.v1_errors import v1_error_bodies
from services.gateway.web import setup as web_ui_setup
from services.kafka_io import (
    EventPublisher,
    RenewingProducer,
    ensure_topics,
    make_producer,
    partitions_of,
)
from services.log_limits import limit_repeats

BROKER_PROBE_S = 1.0
"""How long a send after an unconfirmed one waits to hear that the broker is there at all."""


def create_app(settings: GatewaySettings, catalog: Catalog | None = None) -> web.Application:
    limit_repeats()  # a broker outage otherwise logs the same warning for every request
    app = web.Application(client_max_size=settings.max_body_bytes)
    keyring = Keyring.from_plain(settings.api_keys, directory=lambda: app[keys.DIRECTORY].directory)
    sessions = SessionStore()
    if settings.cors_allowed_origins:  # else it would pass every request through untouched
        app.middlewares.append(cors_middleware(settings.cors_allowed_origins))  # outermost: a preflight needs no key
    app.middlewares.extend([
        v1_error_bodies,
        json_errors,
        auth_middleware(keyring, settings.admin_api_key, sessions),
    ])  # fmt: skip
    app[KEYRING] = keyring
    app[SESSIONS] = sessions
    app[keys.SETTINGS] = settings
    app[keys.CATALOG] = catalog or demo_catalog()
    app[keys.STREAMS] = weakref.WeakSet()
    app[keys.KEY_LOCKS] = KeyLocks()
    app[keys.EXTRACTOR] = Extractor(settings.extraction)
    app[keys.APPEND_GATE] = AppendGate(settings.max_appends_in_flight, settings.append_slot_wait_s)
    app[keys.UNSETTLED] = Unsettled()
    app[keys.OWN_APPENDS] = OwnAppends()
    app.cleanup_ctx.extend([_read_model, _publisher, _directory, _files, _channels, _projection])
    app.on_shutdown.append(_close_streams)
    health.setup(app)
    routes_pipelines.setup(app)
    routes_executions.setup(app)
    routes_feed.setup(app)
    routes_v1.setup(app)
    routes_examples.setup(app)
    routes_channels.setup(app)
    routes_files.setup(app)
    routes_webhooks.setup(app)
    openapi.setup(app)
    routes_admin.setup(app)
    web_ui_setup(app)
    return app


async def _read_model(app: web.Application) -> AsyncIterator[None]:
    app[keys.READ_MODEL] = await ReadModel.open(app[keys.SETTINGS].db_path)
    app[keys.LIMITS] = LimitGuard(app[keys.READ_MODEL], app[keys.SETTINGS].limits, lambda: datetime.now(UTC))
    yield
    await app[keys.READ_MODEL].close()


async def _publisher(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    await ensure_topics(settings.kafka)
    producer = RenewingProducer(lambda: make_producer(settings.kafka, client_id=settings.instance_id))
    await producer.start()
    send, timeout_s = producer.send, settings.kafka.send_timeout_s

    async def reachable() -> bool:
        return await app[keys.RUNNER].log_reachable(BROKER_PROBE_S)

    app[keys.PUBLISHER] = EventPublisher(
        send, settings.kafka.events_topic, timeout_s, reachable=reachable, on_send=app[keys.OWN_APPENDS].add
    )
    app[keys.TENANCY_PUBLISHER] = EventPublisher(send, settings.kafka.tenancy_topic, timeout_s, reachable=reachable)
    # Uploads check their own event's size first (413 FileTooLarge); the topic takes a little more.
    app[keys.FILES_PUBLISHER] = EventPublisher(
        send, settings.kafka.files_topic, timeout_s, TOPIC_MAX_MESSAGE_BYTES - 64 * 1024, reachable
    )
    yield
    await producer.stop()


async def _directory(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    follower = DirectoryFollower(
        lambda: make_reader(settings.kafka.bootstrap_servers, client_id=f"{settings.instance_id}-directory"),
        settings.kafka.tenancy_topic,
    )
    app[keys.DIRECTORY] = follower
    await follower.start()
    yield
    await follower.stop()


async def _files(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    store = await FileStore.open(settings.files_db_path)
    follower = FilesFollower(
        lambda: make_reader(settings.kafka.bootstrap_servers, f"{settings.instance_id}-files", TOPIC_MAX_MESSAGE_BYTES),
        settings.kafka.files_topic,
        store,
    )
    app[keys.FILES] = follower
    await follower.start()
    yield
    await follower.stop()
    await store.close()


async def _channels(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    follower = ChannelFollower(
        lambda: make_reader(settings.kafka.bootstrap_servers, client_id=f"{settings.instance_id}-channels"),
        settings.kafka.tokens_topic,
    )
    app[keys.CHANNELS] = follower
    await follower.start(await partitions_of(settings.kafka, settings.kafka.tokens_topic))
    yield
    await follower.stop()


async def _projection(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    app[keys.HUB] = ChangeHub()
    runner = ProjectionRunner(
        lambda: make_reader(settings.kafka.bootstrap_servers, client_id=f"{settings.instance_id}-projection"),
        app[keys.READ_MODEL],
        app[keys.HUB],
        settings.kafka.events_topic,
        own_appends=app[keys.OWN_APPENDS],
    )
    app[keys.RUNNER] = runner
    await runner.start(await partitions_of(settings.kafka, settings.kafka.events_topic))
    yield
    await runner.stop()


async def _close_streams(app: web.Application) -> None:
    app[keys.HUB].close_all()
