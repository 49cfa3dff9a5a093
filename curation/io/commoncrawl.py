"""Expand a Common Crawl crawl id and a range of file indexes into file URLs.

Every crawl publishes ``crawl-data/<CRAWL-ID>/{warc,wet,wat}.paths.gz``: one
relative path per line. ``base_url`` is configurable so that a mirror, a bucket
(``s3://commoncrawl/``) or a local test server can stand in for the public host.
"""
from __future__ import annotations

import gzip
import re

from curation.io.paths import join, open_read

DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
KINDS = ("warc", "wet", "wat")
CRAWL_ID = re.compile(r"^CC-MAIN-\d{4}-\d{2}$|^CC-[A-Z0-9-]+$")


def parse_range(spec: str) -> tuple[int, int]:
    """``"0:10"`` -> (0, 10) (end exclusive); ``"7"`` -> (7, 8)."""
    try:
        if ":" in spec:
            start, end = (int(x) if x else None for x in spec.split(":", 1))
            start = start or 0
            if end is None:
                raise ValueError
        else:
            start = int(spec)
            end = start + 1
    except ValueError:
        raise ValueError(f"file range {spec!r} is not START:END or INDEX") from None
    if start < 0 or end <= start:
        raise ValueError(f"file range {spec!r} is empty or negative")
    return start, end


def _url(base_url: str, relative: str) -> str:
    if base_url.startswith(("http://", "https://")):
        return base_url.rstrip("/") + "/" + relative.lstrip("/")
    return join(base_url, relative)


def crawl_file_urls(crawl_id: str, start: int, end: int, kind: str = "warc",
                    base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """URLs of files ``start`` (inclusive) to ``end`` (exclusive) of the crawl's listing."""
    if kind not in KINDS:
        raise ValueError(f"unknown Common Crawl file kind {kind!r}; choose one of {KINDS}")
    if not CRAWL_ID.match(crawl_id):
        raise ValueError(f"{crawl_id!r} does not look like a crawl id (e.g. CC-MAIN-2024-22)")
    listing = _url(base_url, f"crawl-data/{crawl_id}/{kind}.paths.gz")
    try:
        with open_read(listing) as fh:
            lines = gzip.decompress(fh.read()).decode("utf-8").split()
    except OSError as exc:
        raise FileNotFoundError(f"cannot read the file listing {listing}: {exc}") from exc
    if end > len(lines):
        raise ValueError(f"{crawl_id} lists {len(lines)} {kind} files; range {start}:{end} is out of bounds")
    return [_url(base_url, path) for path in lines[start:end]]
