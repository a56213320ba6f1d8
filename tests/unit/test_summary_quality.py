"""An evaluation of the local summarizer on fixed documents, through the pipeline as it runs.

Each PDF is written with fpdf2 and read back with the upload path's own pypdf
extraction, so the summarizer sees what it sees in production: wrapped lines,
running headers and footers, bullets, code. What is checked is what a reader
would complain about: fragments ("1 percent to 7."), markup ("<MIME>/mime"),
repeats, a question that is not answered, a citation on the wrong page, the
query handed back as its own summary.
"""

from __future__ import annotations

import asyncio
import random
import re
import textwrap
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from contracts.events import ExecutionInput
from contracts.files import FileExtractedData
from projections.state import ExecutionState
from services.files.extraction import extract_pdf, extract_plain_text
from services.handler.plugins.base import PipelineContext, PipelineResult
from services.handler.plugins.summarize.extractive import summarize
from services.handler.plugins.summarize.pipeline import summarize_execution
from tests.documents import (
    ANNUAL_REPORT,
    ANNUAL_REPORT_HEADER,
    OPERATOR_GUIDE_FOOTER,
    OPERATOR_GUIDE_HEADER,
    make_report_pdf,
    operator_guide_pages,
)

SAMPLE = Path(__file__).parents[2] / "docs" / "samples" / "q4-report.pdf"
MIN_WORDS = 6
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")


@dataclass(frozen=True)
class Case:
    document: str
    query: str
    covers: tuple[str, ...] = ()
    """Word beginnings that some key point must hold: the query's subject."""
    cites: dict[str, int] = field(default_factory=dict)
    """Sentences that must be key points, with the page each must be cited on."""


CASES = [
    Case("q4-report", "How did sales grow?", ("sales",), {"Q4 sales revenue grew 15 percent year over year.": 2}),
    Case(
        "annual-report",
        "What were the revenue drivers?",
        ("revenue", "driver"),
        {"Three drivers explain most of the revenue growth in 2024.": 2},
    ),
    Case(
        "annual-report",
        "Summarize this document",
        cites={
            "Total revenue rose to $3.2 billion, up 9.4 percent from $2.9 billion in 2023, and every operating "
            "segment grew.": 1
        },
    ),
    Case(
        "operator-guide",
        "Summarize this document",
        cites={
            "The ingest service accepts documents over HTTPS, stores them in object storage and indexes their "
            "text for search.": 1
        },
    ),
    Case(
        "operator-guide",
        "How are failed uploads retried?",
        ("fail", "upload", "retr"),
        {"Failed uploads are retried by the client with exponential backoff, starting at one second.": 7},
    ),
]


@cache
def document(name: str) -> FileExtractedData:
    if name == "q4-report":
        pdf = SAMPLE.read_bytes()
    elif name == "annual-report":
        pdf = make_report_pdf(ANNUAL_REPORT, ANNUAL_REPORT_HEADER)
    else:
        pdf = make_report_pdf(operator_guide_pages(), OPERATOR_GUIDE_HEADER, OPERATOR_GUIDE_FOOTER)
    extraction = extract_pdf(pdf)
    return FileExtractedData(
        file_id=f"file_{name}", extraction_id=f"extr_{name}", file_name=f"{name}.pdf", media_type="application/pdf",
        size_bytes=len(pdf), sha256="0" * 64, page_starts=extraction.page_starts, text=extraction.text,
        created_by="tnt_a/key",
    )  # fmt: skip


class Files:
    def __init__(self, *files: FileExtractedData) -> None:
        self._by_id = {f.extraction_id: f for f in files}

    async def extraction(self, tenant_id: str, extraction_id: str) -> FileExtractedData | None:
        return self._by_id.get(extraction_id)


def run(query: str, *files: FileExtractedData) -> PipelineResult:
    async def progress(pct: int, message: str) -> None:
        pass

    inputs = ExecutionInput(data_inputs={"query": query}, files=[{"extractionId": f.extraction_id} for f in files])
    execution = ExecutionState.model_construct(input=inputs, tenant_id="tnt_a")
    ctx = PipelineContext(execution=execution, progress=progress, step_delay_s=0, files=Files(*files))
    return asyncio.run(summarize_execution(ctx, "language_model"))


def cited(result: PipelineResult) -> list[dict[str, Any]]:
    """Per key point, its one citation as the API shows it."""
    by_pointer = {c.output_pointer: c.citations for c in result.citations}
    points = result.output["keyPoints"]
    assert isinstance(points, list) and sorted(by_pointer) == sorted(f"/keyPoints/{i}" for i in range(len(points)))
    return [by_pointer[f"/keyPoints/{i}"][0].model_dump(by_alias=True) for i in range(len(points))]


@pytest.fixture(params=CASES, ids=lambda case: f"{case.document}: {case.query}")
def case(request: pytest.FixtureRequest) -> Case:
    result: Case = request.param
    return result


def test_key_points_are_whole_sentences_never_fragments_or_markup(case: Case) -> None:
    file = document(case.document)
    result = run(case.query, file)
    points = result.output["keyPoints"]
    assert isinstance(points, list) and points
    for point, citation in zip(points, cited(result), strict=True):
        start, end = citation["charStart"], citation["charEnd"]
        assert len(WORD.findall(point)) >= MIN_WORDS, point
        assert re.match(r"[A-Z0-9$]", point) and point.endswith((".", "!")), f"not a whole sentence: {point!r}"
        assert not re.search(r"[<>{}=\u2022]", point), f"markup: {point!r}"
        assert not re.search(r"\d\.?$", file.text[max(0, start - 2) : start]), f"starts inside a number: {point!r}"
        assert not re.match(r"\d", file.text[end : end + 1]), f"ends inside a number: {point!r}"
        assert "Page" not in point and OPERATOR_GUIDE_HEADER not in point and ANNUAL_REPORT_HEADER not in point


def test_no_key_point_repeats_another(case: Case) -> None:
    points = run(case.query, document(case.document)).output["keyPoints"]
    assert isinstance(points, list)
    words = [set(w.lower() for w in WORD.findall(p)) for p in points]
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            overlap = len(words[i] & words[j]) / len(words[i] | words[j])
            assert overlap < 0.5, f"near-duplicates: {points[i]!r} / {points[j]!r}"


def test_citations_resolve_to_the_key_point_on_its_page(case: Case) -> None:
    file = document(case.document)
    result = run(case.query, file)
    points = result.output["keyPoints"]
    assert isinstance(points, list)
    pages = {}
    for point, citation in zip(points, cited(result), strict=True):
        assert citation["type"] == "pdf_character_range"
        assert citation["pdfFileExtractionId"] == file.extraction_id
        start, end = citation["charStart"], citation["charEnd"]
        assert " ".join(file.text[start:end].split()) == point, "the cited range is the key point's text"
        assert file.page_number(start) == file.page_number(end - 1), "a sentence lies on one page"
        pages[point] = file.page_number(start)
    for sentence, page in case.cites.items():
        assert pages.get(sentence) == page, f"{sentence!r} not cited on page {page}: {pages}"


def test_key_points_answer_the_question_and_read_in_document_order(case: Case) -> None:
    result = run(case.query, document(case.document))
    points = result.output["keyPoints"]
    assert isinstance(points, list)
    text = " ".join(points).lower()
    for beginning in case.covers:
        assert re.search(rf"\b{beginning}", text), f"no key point is about {beginning!r}: {points}"
    starts = [c["charStart"] for c in cited(result)]
    assert starts == sorted(starts)


def test_the_summary_is_some_of_the_key_points_and_never_the_query(case: Case) -> None:
    output = run(case.query, document(case.document)).output
    summary, points = output["summary"], output["keyPoints"]
    assert isinstance(summary, str) and isinstance(points, list)
    assert summary and summary != case.query
    used = [p for p in points if p in summary]
    assert used and len(used) < max(2, len(points)) and len(summary) == len(" ".join(used))


def test_a_general_summary_of_a_long_manual_draws_on_many_pages() -> None:
    file = document("operator-guide")
    pages = {file.page_number(c["charStart"]) for c in cited(run("Summarize this document", file))}
    assert len(pages) >= 3, pages


def test_the_readmes_first_example_does_not_answer_a_question_with_itself() -> None:
    query = "What are the key trends in Q4 sales?"
    result = run(query)
    summary = result.output["summary"]
    assert isinstance(summary, str) and summary != query
    assert summary.startswith("Nothing to summarize: the input is a question") and "input.files" in summary
    (citation,) = cited(result)
    assert query[citation["charStart"] : citation["charEnd"]] == query, "the question is cited, not paraphrased"


def test_a_query_that_holds_text_is_summarized_without_its_question() -> None:
    query = (
        "What changed in the fourth quarter? Q4 sales revenue grew 15 percent year over year in every region. "
        "The office moved to a larger building in the city centre. Sales in the north region doubled after the "
        "new distributor was signed."
    )
    result = run(query)
    points = result.output["keyPoints"]
    assert isinstance(points, list) and "What changed in the fourth quarter?" not in points
    assert result.output["summary"] != query
    for point, citation in zip(points, cited(result), strict=True):
        assert citation["inputPointer"] == "/dataInputs/query"
        assert query[citation["charStart"] : citation["charEnd"]] == point


def test_two_and_a_half_megabytes_are_summarized_in_well_under_ten_seconds() -> None:
    text = _long_report(2_500_000)
    extraction = extract_plain_text(text.encode())
    started = time.perf_counter()
    summary = summarize(extraction.text, focus="What happened to the margin?", page_starts=extraction.page_starts)
    elapsed = time.perf_counter() - started
    assert summary.key_points and elapsed < 10, f"{elapsed:.1f} s"
    assert any("margin" in point.text for point in summary.key_points)


def _long_report(size: int) -> str:
    """Distinct sentences (no repeat to skip), wrapped into lines and paragraphs, one figure in each."""
    rng = random.Random(7)
    subjects = ["Revenue", "The margin", "Freight cost", "Headcount", "Churn", "The backlog", "Cash flow"]
    verbs = ["rose", "fell", "held steady", "recovered", "slipped"]
    places = ["in the north", "in Europe", "in the U.S.", "at the Ohio plant", "online", "in retail stores"]
    paragraphs, total = [], 0
    while total < size:
        sentences = [
            f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(places)} by {rng.uniform(1, 99):.1f} percent "
            f"in week {rng.randint(1, 52)} of year {rng.randint(1990, 2030)}, reference {rng.randint(0, 10**9)}."
            for _ in range(5)
        ]
        paragraphs.append(textwrap.fill(" ".join(sentences), 100))
        total += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)
