"""Turn a raw WARC payload into a document: decode the bytes, extract the main text.

Decoding follows the WHATWG Encoding Standard as browsers do (``filters.charset``: BOM, HTTP
``charset``, ``<meta>``, then detection). What the payload is comes from its first bytes as much
as from its Content-Type (``filters.sniff``): a binary signature makes it ``binary_body``
whatever the server said; a page without a Content-Type that starts like HTML is HTML.
Extraction defaults to resiliparse (a C++ DOM walk with main-content heuristics, fast);
trafilatura (slower, more aggressive boilerplate removal) is selectable. ``bench/ingest.py``
compares the two.
"""
from __future__ import annotations

import json
from typing import Any

from curation.document import make_doc_id, new_document
from curation.io.warc import RawRecord
from filters.charset import bom_encoding, charset_from_content_type, decode_html
from filters.extract_guard import ExtractorFailed, TimedOut, TimeLimitedExtractor
from filters.html_text import EXTRACTORS, extract_text
from filters.sniff import UNKNOWN_TYPES, binary_type, sniffs_as_html

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
# Control bytes that plain text does not hold (not TAB, LF, VT, FF, CR); deleted with bytes.translate,
# which counts them in C (a Python loop over 4 KB cost as much per page as the rest of this module).
_CONTROL_BYTES = bytes(range(9)) + bytes(range(14, 32))
DEFAULT_TIME_LIMIT = 10.0  # seconds a page may take; pages take milliseconds (bench/extract_quality.py)
__all__ = ["ExtractionError", "HtmlToDocument", "charset_from_content_type", "decode_html", "extract_text",
           "looks_binary", "media_type"]


class ExtractionError(ValueError):
    """A record that should have held text but could not be turned into any (counted, written to errors/)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def looks_binary(payload: bytes, sample: int = 4096, max_control_share: float = 0.1) -> bool:
    """True for bodies that are not text whatever their Content-Type says (images, PDFs, zips).

    A byte order mark makes it text (UTF-16 is full of NUL bytes); otherwise a known binary
    signature, a NUL byte or many control characters in the first ``sample`` bytes.
    """
    if bom_encoding(payload):
        return False
    if binary_type(payload):
        return True
    head = payload[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control / len(head) > max_control_share


def normalize_whitespace(text: str) -> str:
    """Strip each line, drop empty lines: C4's rules work line by line."""
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


class HtmlToDocument:
    """Make a document from a RawRecord, or raise :class:`ExtractionError`.

    Parameters:
        extractor: "resiliparse" (default, fast) or "trafilatura".
        source: the ``source`` field of the documents made.
        min_text_chars: records whose extracted text is shorter are dropped as ``empty_text``
            (default 1: only truly empty extractions).
        time_limit: seconds one page may take to extract (``None``: no limit, in-process);
            a page over it is an ``extract_timeout`` error (:mod:`filters.extract_guard`).
        fast, favor_precision: trafilatura's settings (see docs/ingest.md for the measurements).
    """

    def __init__(self, extractor: str = "resiliparse", source: str = "commoncrawl", min_text_chars: int = 1,
                 time_limit: float | None = DEFAULT_TIME_LIMIT, fast: bool = True, favor_precision: bool = True):
        if extractor not in EXTRACTORS:
            raise ValueError(f"unknown extractor {extractor!r}; choose one of {EXTRACTORS}")
        self.extractor = extractor
        self.source = source
        self.min_text_chars = min_text_chars
        self.settings = {"extractor": extractor, "fast": fast, "favor_precision": favor_precision}
        self.guard = TimeLimitedExtractor(time_limit, self.settings) if time_limit else None

    def extract(self, html: str) -> str:
        """The page's main text; :class:`ExtractionError` ``extract_timeout`` / ``extractor_failed``."""
        if self.guard is None:
            try:
                return extract_text(html, **self.settings)
            except Exception as exc:  # noqa: BLE001 - parser errors of any kind cost one page, not the job
                raise ExtractionError("extractor_failed", f"{type(exc).__name__}: {exc}") from exc
        try:
            return self.guard(html)
        except TimedOut as exc:
            raise ExtractionError("extract_timeout", str(exc)) from None
        except ExtractorFailed as exc:
            raise ExtractionError("extractor_failed", str(exc)) from None

    def close(self) -> None:
        """Stop the extraction child process (a new one starts if the object is used again)."""
        if self.guard is not None:
            self.guard.close()

    def wants(self, record: RawRecord) -> bool:
        """Whether the record is a page this step turns into text (HTML response or WET text)."""
        kind = media_type(record.content_type)
        if record.record_type == "conversion":
            return kind in TEXT_TYPES or kind == ""
        if kind in HTML_TYPES or (kind == "" and (record.declared_type or "") in HTML_TYPES):
            return True
        return kind in UNKNOWN_TYPES and sniffs_as_html(record.payload)  # no (usable) Content-Type

    def __call__(self, record: RawRecord) -> dict[str, Any]:
        page = self.prepare(record)
        self.start(page)
        return self.finish(page)

    # __call__ in three steps, so that a caller can overlap the extraction child's work with its
    # own (pipelines/ingest.py reads the next WARC record meanwhile): prepare(next) while the
    # child works, finish(current), then start(next). One page is in the child at a time.

    def prepare(self, record: RawRecord) -> "Page":
        """Check and decode the payload (no extraction yet); :class:`ExtractionError` ``binary_body``."""
        if looks_binary(record.payload):
            kind = binary_type(record.payload)
            raise ExtractionError("binary_body", f"a {kind} file" if kind else "payload is not text")
        if record.record_type == "conversion":
            return Page(record, "utf-8", text=record.payload.decode("utf-8", errors="replace"))
        html, charset = decode_html(record.payload, charset_from_content_type(record.content_type))
        return Page(record, charset, html=html)

    def start(self, page: "Page") -> None:
        """Hand the page to the extraction child and return (without a time limit: extract it now)."""
        if page.html is None:
            return
        html, page.html = page.html, None
        if self.guard is None:
            page.text = self.extract(html)
            return
        try:
            self.guard.send(html)
        except ExtractorFailed as exc:
            raise ExtractionError("extractor_failed", str(exc)) from None
        page.in_child = True

    def finish(self, page: "Page") -> dict[str, Any]:
        """The page's document, once its text is there; :class:`ExtractionError` as ``__call__``."""
        if page.in_child:
            page.in_child = False
            try:
                page.text = self.guard.receive()
            except TimedOut as exc:
                raise ExtractionError("extract_timeout", str(exc)) from None
            except ExtractorFailed as exc:
                raise ExtractionError("extractor_failed", str(exc)) from None
        record = page.record
        text = normalize_whitespace(page.text)
        if len(text) < self.min_text_chars:
            raise ExtractionError("empty_text", f"{len(text)} characters extracted")
        return new_document(
            text,
            id=make_doc_id(record_id=record.record_id, url=record.url),
            url=record.url,
            source=self.source,
            crawl_date=record.date,
            warc_file=record.warc_file,
            warc_offset=record.offset,
            charset=page.charset,
            metadata=json.dumps({"record_type": record.record_type}, sort_keys=True),
        )


class Page:
    """A record between :meth:`HtmlToDocument.prepare` and :meth:`HtmlToDocument.finish`: its
    decoded HTML until started, then in the child (``in_child``) or its text."""

    __slots__ = ("record", "charset", "html", "text", "in_child")

    def __init__(self, record: RawRecord, charset: str, html: str | None = None, text: str | None = None):
        self.record, self.charset, self.html, self.text, self.in_child = record, charset, html, text, False
