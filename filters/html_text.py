"""The extractors themselves: the main text of a decoded HTML page, resiliparse or trafilatura.

Kept apart from :mod:`filters.extract` (records, documents) so that the extraction child
process (:mod:`filters.extract_guard`) imports only this: not pyarrow, numpy or warcio, which
cost ~0.3 s of CPU and ~60 MB per child start (one per worker, and one more after each timeout).
"""
from __future__ import annotations

EXTRACTORS = ("resiliparse", "trafilatura")


def extract_text(html: str, extractor: str = "resiliparse", fast: bool = True, favor_precision: bool = False) -> str:
    """Main text of an HTML page, paragraphs separated by newlines.

    ``fast`` and ``favor_precision`` are trafilatura's (``fast``: no fallback extractors;
    measured by ``bench/extract_quality.py``, see docs/ingest.md).
    """
    if extractor == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text

        return extract_plain_text(html, preserve_formatting=True, main_content=True, list_bullets=False,
                                  alt_texts=False)
    if extractor == "trafilatura":
        import trafilatura

        return trafilatura.extract(html, include_comments=False, include_tables=False, deduplicate=False,
                                   fast=fast, favor_precision=favor_precision) or ""
    raise ValueError(f"unknown extractor {extractor!r}; choose one of {EXTRACTORS}")
