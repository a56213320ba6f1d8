"""The child process that reads a PDF: bytes on stdin, JSON on stdout.

A hostile or broken PDF can make a parser spin or swell; here it can only
exhaust this process's limits, never the gateway.
"""

from __future__ import annotations

import json
import sys

from services.files.extraction import ExtractionFailed, extract_pdf


def main() -> None:
    try:
        extraction = extract_pdf(sys.stdin.buffer.read())
        answer: dict[str, object] = {"text": extraction.text, "pageStarts": extraction.page_starts}
    except ExtractionFailed as error:
        answer = {"error": str(error)}
    except RecursionError:
        answer = {"error": "not a readable PDF: its structure nests too deeply"}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
