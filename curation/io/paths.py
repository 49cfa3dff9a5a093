"""Paths on any filesystem: local, Beam filesystems (gs://, s3://, hdfs://) and http(s)://.

Beam's :class:`FileSystems` handles everything but plain HTTP, which Common Crawl
serves its files over; that goes through :mod:`urllib` (streaming, no temp file).
"""
from __future__ import annotations

import contextlib
import os
import urllib.request
from typing import BinaryIO, Iterator

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

HTTP_PREFIXES = ("http://", "https://")


def is_http(path: str) -> bool:
    return path.startswith(HTTP_PREFIXES)


def expand(patterns: list[str] | str) -> list[str]:
    """Every file matched by the globs or paths, sorted, without duplicates.

    A pattern that matches nothing is an error (a typo should not become an empty job).
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    found: list[str] = []
    for pattern in patterns:
        if is_http(pattern):
            found.append(pattern)
            continue
        if os.path.isdir(pattern):
            pattern = os.path.join(pattern, "*")
        matches = [m.path for m in FileSystems.match([pattern])[0].metadata_list]
        matches = [m for m in matches if not os.path.basename(m).startswith(("_", "."))]
        if not matches:
            raise FileNotFoundError(f"no input file matches {pattern!r}")
        found.extend(matches)
    return sorted(dict.fromkeys(found))


@contextlib.contextmanager
def open_read(path: str, timeout: float = 60.0) -> Iterator[BinaryIO]:
    """A binary stream of the raw bytes (no decompression: readers decide)."""
    if is_http(path):
        with urllib.request.urlopen(path, timeout=timeout) as response:  # noqa: S310 (user-given URL)
            yield response
        return
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
    fh = FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)
    try:
        yield fh
    finally:
        fh.close()


def join(base: str, *parts: str) -> str:
    return FileSystems.join(base, *parts)


def exists(path: str) -> bool:
    return FileSystems.exists(path)
