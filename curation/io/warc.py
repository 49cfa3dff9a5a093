"""Read WARC and WET files record by record with warcio, surviving damage.

Real crawl files are messy: a truncated gzip member, a malformed header or a wrong
Content-Length must cost one record, not the file. When warcio fails, the reader
records the error (file, offset, reason), scans forward to the next record boundary
(the next gzip member for ``.gz`` files, the next ``WARC/1.x`` line otherwise) and
restarts there, so every good record before and after the damage is kept.

Nothing here decides what is HTML or extracts text: that is ``filters.extract``.
"""
from __future__ import annotations

import gzip
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from curation.io.paths import open_read

# Record types a text pipeline can use; everything else is counted and skipped.
CONTENT_RECORD_TYPES = ("response", "conversion", "resource")
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGICS = (b"WARC/1.0\r\n", b"WARC/1.1\r\n", b"WARC/0.17\r\n", b"WARC/0.18\r\n")
SCAN_CHUNK = 1 << 20


@dataclass
class RawRecord:
    """One content record, payload still as bytes (HTTP headers stripped, transfer encoding undone)."""

    warc_file: str
    offset: int
    record_type: str
    record_id: str | None
    url: str | None
    date: str | None
    content_type: str  # HTTP Content-Type for responses, the WARC Content-Type otherwise
    payload: bytes
    declared_type: str | None = None  # Common Crawl's WARC-Identified-Payload-Type, when present


@dataclass
class RecordError:
    warc_file: str
    offset: int
    reason: str

    def to_dict(self) -> dict:
        return {"file": self.warc_file, "offset": self.offset, "reason": self.reason,
                "key": f"{self.warc_file}:{self.offset:015d}"}


@dataclass
class SkippedRecord:
    """A well-formed record the text pipeline does not use (request, metadata, warcinfo, ...)."""

    record_type: str


def _seekable_copy(raw: BinaryIO) -> BinaryIO:
    """A seekable stream over ``raw`` (HTTP responses are not): spooled to disk past 64 MiB."""
    try:
        if raw.seekable():
            return raw
    except (AttributeError, OSError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)
    shutil.copyfileobj(raw, spool, SCAN_CHUNK)
    spool.seek(0)
    return spool


def _next_boundary(stream: BinaryIO, start: int, compressed: bool) -> int | None:
    """The offset of the next plausible record start at or after ``start``, or None at EOF."""
    magics = (GZIP_MAGIC,) if compressed else WARC_MAGICS
    stream.seek(start)
    carry = b""
    position = start
    while True:
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return None
        window = carry + chunk
        hits = [window.find(m) for m in magics]
        hits = [h for h in hits if h >= 0]
        if hits:
            return position - len(carry) + min(hits)
        carry = window[-16:]
        position += len(chunk)


def _is_gzip(stream: BinaryIO) -> bool:
    stream.seek(0)
    head = stream.read(3)
    stream.seek(0)
    return head == GZIP_MAGIC


def iter_records(path: str, max_payload_bytes: int = 10 << 20,
                 record_types: tuple[str, ...] = CONTENT_RECORD_TYPES
                 ) -> Iterator[RawRecord | RecordError | SkippedRecord]:
    """Every record of one WARC/WET file as a RawRecord, SkippedRecord or RecordError.

    ``max_payload_bytes`` bounds memory: a larger payload becomes a ``payload_too_large``
    error instead of being read whole.
    """
    with open_read(path) as raw:
        stream = _seekable_copy(raw)
        stream.seek(0, 2)
        size = stream.tell()
        if size == 0:
            yield RecordError(path, 0, "empty_file")
            return
        compressed = _is_gzip(stream)
        base: int | None = 0
        last_error = -1
        while base is not None and base < size:
            stream.seek(base)
            state = _ScanState()
            for item in _iter_from(stream, path, base, max_payload_bytes, record_types, state, size):
                if isinstance(item, RecordError) and item.offset == last_error:
                    continue  # the same damage seen again after a resync
                yield item
            if state.failed_at is None:
                return
            last_error = state.failed_at
            # A wrong Content-Length in the last good record can swallow the next record's
            # header, so the scan restarts right after that record's start, not after the
            # failure; restarts still strictly advance, so the loop ends.
            scan_from = (state.last_good + 1) if state.last_good is not None else base + 1
            base = _next_boundary(stream, scan_from, compressed)


class _ScanState:
    def __init__(self) -> None:
        self.last_good: int | None = None
        self.failed_at: int | None = None


def _iter_from(stream: BinaryIO, path: str, base: int, max_payload_bytes: int,
               record_types: tuple[str, ...], state: _ScanState, size: int):
    """Iterate from ``base``; on damage, note where in ``state`` and stop."""
    iterator = ArchiveIterator(stream, no_record_parse=False, check_digests=False)
    try:
        for record in iterator:
            # ``iterator.offset`` is where this record starts (absolute: warcio starts it at
            # the stream's tell()); get_record_offset() would consume the payload first.
            offset = iterator.offset
            item = _convert(record, path, offset, max_payload_bytes, record_types)
            if isinstance(item, RawRecord) and not (item.record_id and item.url):
                # A truncated gzip member can still yield a header fragment: not a record.
                state.failed_at = offset
                yield RecordError(path, offset, "malformed_record: no WARC-Record-ID or WARC-Target-URI")
                return
            yield item
            state.last_good = offset
    except (ArchiveLoadFailed, zlib.error, EOFError, gzip.BadGzipFile, ValueError, OSError) as exc:
        # warcio's ``offset`` points at the start of the record that failed to parse; when
        # nothing parsed since ``base``, the damage is at ``base`` itself (the decompressor
        # may have run on into the next members before giving up).
        state.failed_at = iterator.offset if state.last_good is not None else base
        message = "".join(c if c.isprintable() else "?" for c in str(exc))[:160]
        yield RecordError(path, state.failed_at, f"malformed_record: {type(exc).__name__}: {message}")
        return
    if iterator.offset < size - 4:
        # warcio stopped early without an error (a decompressor confused by damage): resync.
        state.failed_at = iterator.offset
        yield RecordError(path, iterator.offset, "malformed_record: unparsed bytes after the last record")


def _convert(record, path: str, offset: int, max_payload_bytes: int,
             record_types: tuple[str, ...]) -> RawRecord | RecordError | SkippedRecord:
    rec_type = record.rec_type or "unknown"
    if rec_type not in record_types:
        return SkippedRecord(rec_type)
    headers = record.rec_headers
    if rec_type == "response" and record.http_headers is not None:
        content_type = record.http_headers.get_header("Content-Type") or ""
    else:
        content_type = headers.get_header("Content-Type") or ""
    try:
        payload = record.content_stream().read(max_payload_bytes + 1)
    except (zlib.error, EOFError, OSError, ValueError) as exc:
        return RecordError(path, offset, f"unreadable_payload: {type(exc).__name__}: {str(exc)[:200]}")
    if len(payload) > max_payload_bytes:
        return RecordError(path, offset, f"payload_too_large: more than {max_payload_bytes} bytes")
    declared = headers.get_header("Content-Length")
    if rec_type != "response" and declared and declared.isdigit() and len(payload) < int(declared):
        return RecordError(path, offset, f"short_payload: {len(payload)} of {declared} bytes")
    return RawRecord(
        warc_file=path,
        offset=offset,
        record_type=rec_type,
        record_id=headers.get_header("WARC-Record-ID"),
        url=headers.get_header("WARC-Target-URI"),
        date=headers.get_header("WARC-Date"),
        content_type=content_type,
        payload=payload,
        declared_type=headers.get_header("WARC-Identified-Payload-Type"),
    )
