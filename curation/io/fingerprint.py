"""What a file's content is, cheaply: the part of a stage fingerprint that notices an edited input.

A file up to ``FULL_HASH_BYTES`` is hashed whole (an edit that keeps the size still changes the
hash). A bigger one, or one on object storage, is identified by its size, its modification time
and a hash of three samples (start, middle, end): reading a 40 GB crawl on every ``curation run``
to decide whether to skip a stage would cost more than the stage. HTTP inputs (Common Crawl's
published files, immutable) are identified by their URL alone.
"""
from __future__ import annotations

import hashlib
import os

from curation.io.paths import beam_filesystems, is_http, is_local, open_read

FULL_HASH_BYTES = 64 << 20
SAMPLE_BYTES = 1 << 20


def content_id(path: str) -> dict:
    """``{"bytes", "sha256"}`` for a small local file, else ``{"bytes", "mtime", "sampled_sha256"}``."""
    if is_http(path):
        return {}
    if is_local(path):
        size, mtime = os.path.getsize(path), int(os.path.getmtime(path))
    else:
        meta = beam_filesystems().match([path])[0].metadata_list[0]
        size, mtime = meta.size_in_bytes, int(meta.last_updated_in_seconds or 0)
    if is_local(path) and size <= FULL_HASH_BYTES:
        return {"bytes": size, "sha256": _hash(path, [(0, size)])}
    offsets = sorted({0, max(0, size // 2 - SAMPLE_BYTES // 2), max(0, size - SAMPLE_BYTES)})
    return {"bytes": size, "mtime": mtime, "sampled_sha256": _hash(path, [(o, SAMPLE_BYTES) for o in offsets])}


def _hash(path: str, ranges: list[tuple[int, int]]) -> str:
    digest = hashlib.sha256()
    with open_read(path) as fh:
        for offset, length in ranges:
            fh.seek(offset)
            while length > 0:
                block = fh.read(min(length, 1 << 20))
                if not block:
                    break
                digest.update(block)
                length -= len(block)
    return digest.hexdigest()
