"""Paths on any filesystem: local, Beam filesystems (gs://, s3://, hdfs://) and http(s)://.

Beam's :class:`FileSystems` handles everything but plain HTTP, which Common Crawl
serves its files over; that goes through :mod:`urllib` (streaming, no temp file).
Beam is imported inside the functions so that ``filters`` (which never imports
Beam) can use the readers built on this module.
"""
from __future__ import annotations

import contextlib
import os
import urllib.request
from typing import BinaryIO, Iterator

HTTP_PREFIXES = ("http://", "https://")
# What a directory given as input expands to: data files, not stats.json or errors/.
DATA_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".txt", ".txt.gz",
                 ".warc", ".warc.gz", ".wet", ".wet.gz", ".arc.gz")


def is_http(path: str) -> bool:
    return path.startswith(HTTP_PREFIXES)


def expand(patterns: list[str] | str) -> list[str]:
    """Every file matched by the globs or paths, sorted, without duplicates.

    A directory expands to the data files directly inside it (see ``DATA_SUFFIXES``), or,
    when it holds none, to those of its ``documents/`` folder (a stage's output directory).
    A pattern that matches nothing is an error (a typo should not become an empty job).
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    found: list[str] = []
    for pattern in patterns:
        found.extend(_expand_one(pattern))
    return sorted(dict.fromkeys(found))


def _expand_one(pattern: str) -> list[str]:
    if is_http(pattern):
        return [pattern]
    from apache_beam.io.filesystems import FileSystems

    directory = os.path.isdir(pattern)
    glob = os.path.join(pattern, "*") if directory else pattern
    matches = [m.path for m in FileSystems.match([glob])[0].metadata_list]
    matches = [m for m in matches if not os.path.basename(m).startswith(("_", "."))]
    if directory:
        matches = [m for m in matches if m.lower().endswith(DATA_SUFFIXES)]
        nested = os.path.join(pattern, "documents")
        if not matches and os.path.isdir(nested):
            return _expand_one(nested)
    if not matches:
        raise FileNotFoundError(f"no input file matches {pattern!r}")
    return matches


@contextlib.contextmanager
def open_read(path: str, timeout: float = 60.0) -> Iterator[BinaryIO]:
    """A binary stream of the raw bytes (no decompression: readers decide)."""
    if is_http(path):
        with urllib.request.urlopen(path, timeout=timeout) as response:  # noqa: S310 (user-given URL)
            yield response
        return
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    fh = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    try:
        yield fh
    finally:
        fh.close()


@contextlib.contextmanager
def open_write(path: str) -> Iterator[BinaryIO]:
    """A binary stream writing ``path``; local parent directories are created."""
    if "://" not in path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    fh = FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)
    try:
        yield fh
    finally:
        fh.close()


def join(base: str, *parts: str) -> str:
    if "://" not in base:
        return os.path.join(base, *parts)
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.join(base, *parts)


def exists(path: str) -> bool:
    if is_http(path):
        return True
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.exists(path)
