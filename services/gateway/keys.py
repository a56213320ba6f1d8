"""Typed keys for what the gateway app holds; built in `create_app`, nowhere else."""

from __future__ import annotations

import weakref

from aiohttp import web

from projections.channels import ChannelFollower
from projections.directory_follower import DirectoryFollower
from projections.files_follower import FilesFollower
from projections.notifications import ChangeHub
from projections.own_appends import OwnAppends
from projections.runner import ProjectionRunner
from projections.store import ReadModel
from services.catalog import Catalog
from services.files.extractor import Extractor
from services.gateway.admission import AppendGate
from services.gateway.key_locks import KeyLocks
from services.gateway.limits import LimitGuard
from services.gateway.settings import GatewaySettings
from services.gateway.unsettled import Unsettled
from services.kafka_io import EventPublisher

SETTINGS = web.AppKey("settings", GatewaySettings)
CATALOG = web.AppKey("catalog", Catalog)
READ_MODEL = web.AppKey("read_model", ReadModel)
HUB = web.AppKey("hub", ChangeHub)
OWN_APPENDS = web.AppKey("own_appends", OwnAppends)
RUNNER = web.AppKey("runner", ProjectionRunner)
PUBLISHER = web.AppKey("publisher", EventPublisher)
DIRECTORY = web.AppKey("directory", DirectoryFollower)
TENANCY_PUBLISHER = web.AppKey("tenancy_publisher", EventPublisher)
CHANNELS = web.AppKey("channels", ChannelFollower)
LIMITS = web.AppKey("limits", LimitGuard)
KEY_LOCKS = web.AppKey("key_locks", KeyLocks)
STREAMS = web.AppKey("streams", weakref.WeakSet[web.StreamResponse])
FILES = web.AppKey("files", FilesFollower)
FILES_PUBLISHER = web.AppKey("files_publisher", EventPublisher)
EXTRACTOR = web.AppKey("extractor", Extractor)
APPEND_GATE = web.AppKey("append_gate", AppendGate)
UNSETTLED = web.AppKey("unsettled", Unsettled)
