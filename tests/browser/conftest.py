"""A real stack on the session's broker and headless Chromium from Debian, driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.integration.stack import API_KEY, Stack, running_stack

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
async def stack(kafka_servers: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    # One stack for the module: starting one costs seconds, and each test signs in afresh anyway.
    # Streams close every 0.3 s, so every live page has to resume by Last-Event-ID to keep up.
    overrides = {"stream_max_s": 0.3, "stream_retry_ms": 100}
    async with running_stack(kafka_servers, tmp_path_factory.mktemp("web"), gateway_overrides=overrides) as running:
        yield running


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, stack: Stack) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(base_url=stack.base_url, viewport={"width": 1100, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def sign_in(page: Page, key: str = API_KEY) -> None:
    await page.goto("/login")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/")


async def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    """Saved only when SCREENSHOTS_DIR is set (docs/screenshots/ is refreshed that way)."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)
