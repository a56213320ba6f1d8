"""Extracting uploads: plain text in process, PDFs in a limited child process, a few at a time."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from dataclasses import dataclass

from contracts.files import MediaType
from services.files.extraction import Extraction, ExtractionFailed, extract_plain_text


@dataclass(frozen=True)
class ExtractionLimits:
    wall_s: float = 30.0
    cpu_s: int = 30
    memory_bytes: int = 1024 * 1024 * 1024
    concurrency: int = 2


class Extractor:
    def __init__(self, limits: ExtractionLimits) -> None:
        self._limits = limits
        self._slots = asyncio.Semaphore(limits.concurrency)

    async def extract(self, content: bytes, media_type: MediaType) -> Extraction:
        if media_type == "text/plain":
            return extract_plain_text(content)
        async with self._slots:
            return await self._extract_pdf(content)

    async def _extract_pdf(self, content: bytes) -> Extraction:
        limits = self._limits
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.files.pdf_worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=lambda: _limit(limits),
        )  # fmt: skip
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(content), limits.wall_s)
        except TimeoutError:
            raise ExtractionFailed(f"reading the PDF took longer than {limits.wall_s:g} s") from None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        return _answer(stdout, stderr)


def _answer(stdout: bytes, stderr: bytes) -> Extraction:
    try:
        answer = json.loads(stdout)
    except ValueError:
        last = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ExtractionFailed(f"reading the PDF failed ({last[0][:200]}); memory or CPU limit?") from None
    if "error" in answer:
        raise ExtractionFailed(answer["error"])
    return Extraction(answer["text"], answer["pageStarts"])


def _limit(limits: ExtractionLimits) -> None:
    """In the child, before exec."""
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
