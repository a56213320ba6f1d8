"""Real PDF files for tests, written with fpdf2 (a PDF writer independent of the reader we use)."""

from __future__ import annotations

from fpdf import FPDF


def make_pdf(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


QUARTERLY_REPORT = [
    "Quarterly report. This page covers the office move and the new coffee machine.",
    "Q4 sales revenue grew 15 percent year over year. Sales in the north region doubled.",
    "Hiring was flat this quarter. The team planted trees near the parking lot.",
]


class _RunningPdf(FPDF):
    """A PDF whose every page carries a running header and a numbered footer, as real reports do."""

    running_header = ""
    running_footer = ""

    def header(self) -> None:
        self.set_font("Helvetica", size=9)
        self.cell(0, 6, self.running_header, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.set_font("Helvetica", size=11)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=9)
        self.cell(0, 6, self.running_footer.format(page=self.page_no(), pages="{nb}"), align="C")


def make_report_pdf(pages: list[str], header: str, footer: str = "Page {page} of {pages}") -> bytes:
    """`pages` with `header` atop each and `footer` ("{page}", "{pages}" filled in) below it.

    Windows-1252 lets the core font write bullets and dashes, as exported documents have them.
    """
    pdf = _RunningPdf()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.running_header, pdf.running_footer = header, footer
    pdf.set_auto_page_break(True, margin=20)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


ANNUAL_REPORT_HEADER = "Northwind Holdings Inc. - Annual Report 2024"
ANNUAL_REPORT = [
    "Letter to shareholders\n"
    "Dear shareholders, 2024 was a year of steady, profitable growth for Northwind Holdings. Total revenue rose "
    "to $3.2 billion, up 9.4 percent from $2.9 billion in 2023, and every operating segment grew. Operating margin "
    "improved from 6.1 percent to 7.4 percent as pricing held and freight costs eased in the second half. Net "
    "income reached $236 million, or $4.12 per diluted share, compared with $3.55 a year earlier. We returned "
    "$140 million to shareholders through dividends and buybacks while keeping net debt below one times EBITDA.\n"
    "Our strategy has not changed: we sell reliable industrial equipment, and we increasingly sell the software "
    "and services that keep it running. That shift makes our revenue more recurring and our customers more loyal.",
    "Revenue drivers\n"
    "Three drivers explain most of the revenue growth in 2024. First, subscription revenue in the U.S. grew 14.2 "
    "percent to $820 million, driven by higher renewal rates and new enterprise contracts with utilities. Second, "
    "sales of connected devices, e.g. the Aurora sensor line and the Beacon gateways, added $410 million of new "
    "revenue. Third, price increases of 3.5 percent across the catalogue contributed about a third of the revenue "
    "growth without a measurable loss of volume. Revenue from Europe was flat at $610 million because the "
    "German industrial market remained weak.\n"
    "Services revenue, i.e. installation, maintenance and training, rose 8.0 percent to $540 million. Mr. J. "
    "Alvarez, who leads the services business, expects that growth to continue as the installed base ages.",
    "Costs, cash and risks\n"
    "Cost of goods sold rose 7.1 percent, slower than revenue, so gross margin widened to 38.6 percent. Research "
    "and development spending increased to $190 million, approx. 5.9 percent of revenue, mostly for the next "
    "Aurora generation. Free cash flow was $301 million, and we ended the year with $455 million in cash.\n"
    "The main risks we see are a slowdown in U.S. construction, tariffs on imported components and the "
    "concentration of chip supply in two vendors. We hold nine months of critical components in stock, and the "
    "No. 4 plant in Ohio can switch to a second chip vendor within one quarter if it has to.",
    "Outlook\n"
    "For 2025 we expect revenue between $3.4 billion and $3.5 billion and an operating margin of about 7.8 "
    "percent. Subscription revenue should keep growing faster than equipment sales, and we plan to open a "
    "service centre in Texas in the third quarter. We will invest about $75 million in factory automation, which "
    "should lower unit costs by 2.5 percent by the end of 2026.\n"
    "We thank our 11,400 employees for their work, and our customers and shareholders for their trust.",
]
"""Four pages of decimals, abbreviations and sentences that wrap across lines, as annual reports have."""

OPERATOR_GUIDE_HEADER = "Acme Ingest Service - Operator Guide v2.3"
OPERATOR_GUIDE_FOOTER = "Acme Corp. Confidential - Page {page} of {pages}"
_GUIDE_TOPICS = [
    (
        "Overview",
        "The ingest service accepts documents over HTTPS, stores them in object storage and indexes "
        "their text for search",
        "Operators run it as three stateless processes behind a load balancer",
    ),
    (
        "Installation",
        "The service ships as a container image that needs no other runtime on the host",
        "A fresh installation takes about ten minutes on a machine with four cores and eight gigabytes of memory",
    ),
    (
        "Configuration",
        "Every setting is read from environment variables when a process starts",
        "A changed setting takes effect only after the processes have been restarted one at a time",
    ),
    (
        "Media types",
        "Each upload declares its media type, and the service checks the declared type against the "
        "first bytes of the content",
        "An upload whose content does not match its declared media type is refused with status 415",
    ),
    (
        "Authentication",
        "Clients authenticate every request with an API key sent as a bearer token",
        "Keys are stored only as salted hashes, so a lost key cannot be recovered and must be reissued",
    ),
    (
        "Upload limits",
        "A single upload may be at most 100 megabytes, and larger files must be split by the client",
        "Each tenant may store at most one terabyte, after which new uploads are refused until space is freed",
    ),
    (
        "Retries",
        "Failed uploads are retried by the client with exponential backoff, starting at one second",
        "Because every upload carries an idempotency key, a retried upload never stores the same document twice",
    ),
    (
        "Text extraction",
        "Text is extracted from PDF files in a separate worker process with strict memory limits",
        "A document whose extraction fails is kept, marked unreadable, and reported to the tenant's webhook",
    ),
    (
        "Indexing",
        "Extracted text is split into passages of about one thousand characters before it is indexed",
        "A new document becomes searchable within thirty seconds of its upload in normal operation",
    ),
    (
        "Search",
        "Search queries are answered from the index with the best passages first",
        "Each result names the document, the page and the character range that matched the query",
    ),
    (
        "Monitoring",
        "Every process exposes health and metrics endpoints that the monitoring system scrapes",
        "An alert fires when the extraction queue holds more than five hundred documents for ten minutes",
    ),
    (
        "Logging",
        "Processes write structured logs to standard output, one JSON object per line",
        "Document contents are never written to the logs, only their identifiers and sizes",
    ),
    (
        "Backups",
        "Object storage is replicated to a second region every fifteen minutes",
        "The index can always be rebuilt from the stored documents, so it is not backed up separately",
    ),
    (
        "Scaling",
        "Adding processes raises throughput almost linearly until the database becomes the bottleneck",
        "One process handles about forty uploads per second of average size",
    ),
    (
        "Upgrades",
        "Upgrades are rolled out one process at a time so the service stays available",
        "A database migration always runs before the new processes start and never removes a column in use",
    ),
    (
        "Security",
        "All traffic between processes and storage is encrypted with TLS",
        "Security patches for the base image are applied within seven days of their release",
    ),
    (
        "Troubleshooting",
        "Most failed uploads are caused by expired API keys or by files over the size limit",
        "The status command prints the state of every process and the length of each queue",
    ),
    (
        "Support",
        "Support tickets are answered within one business day, and outages within one hour",
        "Every ticket should include the request identifier that the service returned",
    ),
]


def operator_guide_pages() -> list[str]:
    """Eighteen pages of a technical manual: a section title, prose, bullets and code-ish lines on each."""
    pages = []
    for number, (title, first, second) in enumerate(_GUIDE_TOPICS, start=1):
        pages.append(
            f"{number}. {title}\n"
            f"{first}. {second}. This section describes {title.lower()} for the operators of the service.\n"
            "\u2022 <MIME>/mime\n"
            "\u2022 The mime.\n"
            f"\u2022 See also: section {number % len(_GUIDE_TOPICS) + 1}\n"
            f"$ ingestctl {title.lower().replace(' ', '-')} --json\n"
            "Content-Type: <MIME>/mime\n"
            f"max_{title.lower().replace(' ', '_')}_retries = {number}\n"
        )
    return pages
