"""Extracting uploads, storing extractions, and tracing summary ranges back to files."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.codec import encode
from contracts.events import Citation, InputCitation
from contracts.files import FILES_ADAPTER
from projections.file_store import FileStore
from services.files.extraction import (
    PAGE_SEPARATOR,
    ExtractionFailed,
    extract_pdf,
    extract_plain_text,
    media_type_of,
)
from services.files.extractor import ExtractionLimits, Extractor
from services.gateway.auth import Principal
from services.gateway.commands import CommandContext, Upload, decide_upload
from services.handler.plugins.summarize.corpus import Corpus, Source
from services.handler.plugins.summarize.extractive import summarize
from tests.documents import QUARTERLY_REPORT, make_pdf
from tests.events import T0

CTX = CommandContext(principal=Principal("tnt_a", "key_1"), now=T0, event_id="ev-1", correlation_id="corr-1")


def test_a_pdf_is_read_page_by_page_with_where_each_page_begins() -> None:
    extraction = extract_pdf(make_pdf(QUARTERLY_REPORT))
    assert len(extraction.page_starts) == 3 and extraction.page_starts[0] == 0
    for number, start in enumerate(extraction.page_starts):
        assert extraction.text[start:].startswith(QUARTERLY_REPORT[number][:20])
    assert extraction.text.count(PAGE_SEPARATOR) >= 2


def test_the_content_decides_the_media_type_and_lies_are_refused() -> None:
    pdf = make_pdf(["x"])
    assert media_type_of(pdf, "application/octet-stream") == "application/pdf"
    assert media_type_of(b"hello", None) == "text/plain"
    with pytest.raises(ExtractionFailed, match="%PDF-"):
        media_type_of(b"hello", "application/pdf")
    with pytest.raises(ExtractionFailed, match="UTF-8"):
        extract_plain_text(b"caf\xe9")
    with pytest.raises(ExtractionFailed, match="binary"):
        extract_plain_text(b"a\x00b")
    assert extract_plain_text("\ufeffBOM stripped".encode()).text == "BOM stripped"


async def test_pdfs_are_read_in_a_limited_child_process() -> None:
    extractor = Extractor(ExtractionLimits(wall_s=20))
    extraction = await extractor.extract(make_pdf(QUARTERLY_REPORT), "application/pdf")
    assert extraction == extract_pdf(make_pdf(QUARTERLY_REPORT))
    with pytest.raises(ExtractionFailed, match="not a readable PDF"):
        await extractor.extract(b"%PDF-1.4 garbage", "application/pdf")
    with pytest.raises(ExtractionFailed, match="longer than"):
        await Extractor(ExtractionLimits(wall_s=0.01)).extract(make_pdf(["slow"]), "application/pdf")


def test_an_upload_becomes_one_event_with_its_text_pages_and_digest() -> None:
    content = make_pdf(QUARTERLY_REPORT)
    extraction = extract_pdf(content)
    event = decide_upload(Upload("r.pdf", "application/pdf", content), extraction, ("file_1", "extr_1"), CTX)
    assert (event.subject, event.tenantid, event.data.created_by) == ("file_1", "tnt_a", "tnt_a/key_1")
    assert event.data.size_bytes == len(content) and len(event.data.sha256) == 64
    assert FILES_ADAPTER.validate_json(encode(event).value) == event, "round-trips through the wire format"
    second_page = extraction.page_starts[1]
    assert [event.data.page_number(o) for o in (0, second_page - 1, second_page, len(extraction.text))] == [1, 1, 2, 3]


async def test_the_store_keeps_each_tenants_files_apart_and_resumes_from_its_position(tmp_path: Path) -> None:
    extraction = extract_plain_text(b"Some text.")
    event = decide_upload(Upload("a.txt", "text/plain", b"Some text."), extraction, ("file_1", "extr_1"), CTX)
    store = await FileStore.open(tmp_path / "files.sqlite3")
    await store.commit([event, event], "files", 8)
    await store.close()
    store = await FileStore.open(tmp_path / "files.sqlite3")
    try:
        assert await store.next_offset("files") == 8
        found = await store.by_extraction_id("tnt_a", "extr_1")
        assert found is not None and found.data == event.data and found.created_at == T0
        assert await store.by_file_id("tnt_a", "file_1") == found
        assert await store.by_file_id("tnt_b", "file_1") is None, "another tenant's file is not there"
        assert found.to_api()["characterCount"] == len("Some text.")
    finally:
        await store.close()


def test_a_range_of_the_joined_text_cites_the_source_it_lies_in() -> None:
    corpus = Corpus([Source("First doc.", "/dataInputs/query"), Source("Second doc here.", extraction_id="extr_2")])
    text = corpus.text
    start = text.index("doc here")
    assert corpus.cite(start, start + 8) == Citation(pdf_file_extraction_id="extr_2", char_start=7, char_end=15)
    assert corpus.cite(0, 5) == InputCitation(input_pointer="/dataInputs/query", char_start=0, char_end=5)
    assert corpus.cite(6, start) is None, "a range across two sources cites neither"


def test_a_focus_question_steers_which_sentences_are_kept() -> None:
    text = "Cats sleep a lot. Cats eat fish. Dogs bark at night. Cats play with yarn."
    assert "Dogs bark at night." not in [p.text for p in summarize(text, max_points=1).key_points]
    focused = summarize(text, max_points=1, focus="When do dogs bark?")
    assert [p.text for p in focused.key_points] == ["Dogs bark at night."]
