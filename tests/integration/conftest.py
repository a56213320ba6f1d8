from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.stack import Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(kafka_servers: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(kafka_servers, tmp_path) as running:
        yield running
