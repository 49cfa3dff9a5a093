"""Read WARC, WET and ARC files record by record with warcio, surviving damage.

Real crawl files are messy: a truncated gzip member, a malformed header or a wrong
Content-Length must cost one record, not the file. When warcio fails, the reader
records the error (file, offset, reason), scans forward to the next record boundary
(the next gzip member for ``.gz`` files, the next ``WARC/x.y`` or ARC header line otherwise)
and restarts there, so every good record before and after the damage is kept.

A record is only passed on when it ends where its Content-Length says (the next record, or
the end of the file, follows) and its ``WARC-Block-Digest`` (else ``WARC-Payload-Digest``)
matches when present; otherwise it is a ``content_length_mismatch`` / ``digest_mismatch`` error.
ARC files (the Internet Archive's format before WARC) are read through warcio's ARC-to-WARC
conversion. A ``.warc.gz`` compressed as one gzip stream (not one member per record, e.g.
ClueWeb09) is decompressed first; its offsets are then positions in the decompressed file.

Nothing here decides what is HTML or extracts text: that is ``filters.extract``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException

from curation.io.gunzip import GzipDamage, gunzip_chunks
from curation.io.paths import open_read

# Record types a text pipeline can use; everything else is counted and skipped.
CONTENT_RECORD_TYPES = ("response", "conversion", "resource")
GZIP_MAGIC = b"\x1f\x8b\x08"
# A record starts on a line of its own: a WARC version line (CRLF or, as in WARC/0.18 files, LF)
# or an ARC v1 header line (URL, IP address, 14-digit date, MIME type, length).
ARC_LINE = rb"[a-z][a-z0-9+.-]*:\S+ \d{1,3}(?:\.\d{1,3}){3} \d{14} \S+ \d+\r?\n"
RECORD_START = re.compile(rb"(?<=\n)(?:WARC/\d\.\d+\r?\n|" + ARC_LINE + rb")")
ARC_START = re.compile(ARC_LINE)
SCAN_CHUNK = 1 << 20
SCAN_CARRY = 8192  # bytes kept between scan windows: the longest ARC header line looked for
WHOLE_GZIP_PROBE = 16 << 20  # decompressed bytes of the first gzip member looked at
HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)


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
    offset: int = -1


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
    # One byte before ``start`` is read too: a record start must follow a newline (or the file start).
    stream.seek(max(start - 1, 0))
    carry = b"\n" if start == 0 else b""
    position = max(start - 1, 0)  # file offset of the first byte read
    while True:
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return None
        window = carry + chunk
        origin = position - len(carry)  # file offset of window[0] (-1 for the virtual newline)
        skip = max(start - origin, 0)  # positions before ``start`` are not candidates
        if compressed:
            hit = window.find(GZIP_MAGIC, skip)
        else:
            match = RECORD_START.search(window, skip)
            hit = match.start() if match else -1
        if hit >= 0:
            return origin + hit
        carry = window[-SCAN_CARRY:]
        position += len(chunk)


def _probe(stream: BinaryIO, compressed: bool) -> tuple[bytes, bool]:
    """(first decompressed bytes, whether the file is one gzip stream holding several records)."""
    stream.seek(0)
    if not compressed:
        head = stream.read(1 << 16)
        stream.seek(0)
        return head, False
    decompressor = zlib.decompressobj(31)
    head = b""
    try:
        while not decompressor.eof and len(head) < WHOLE_GZIP_PROBE:
            chunk = stream.read(1 << 16)
            if not chunk:
                break
            head += decompressor.decompress(chunk)
            if RECORD_START.search(head, 1):
                break
    except zlib.error:
        pass  # damage in the first member: the per-member reader reports it
    stream.seek(0)
    return head, RECORD_START.search(head, 1) is not None


def _decompress_whole(stream: BinaryIO) -> tuple[BinaryIO, GzipDamage | None]:
    """The file decompressed into a seekable spool, and the damage that ended it early, if any."""
    spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)
    damage = None
    try:
        for block in gunzip_chunks(stream):
            spool.write(block)
    except GzipDamage as exc:
        damage = exc
    spool.seek(0)
    return spool, damage


def iter_records(path: str, max_payload_bytes: int = 10 << 20,
                 record_types: tuple[str, ...] = CONTENT_RECORD_TYPES
                 ) -> Iterator[RawRecord | RecordError | SkippedRecord]:
    """Every record of one WARC/WET/ARC file as a RawRecord, SkippedRecord or RecordError.

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
        head, whole_gzip = _probe(stream, compressed)
        damage = None
        if whole_gzip:
            stream, damage = _decompress_whole(stream)
            stream.seek(0, 2)
            size, compressed = stream.tell(), False
        reader = _FileReader(path, stream, size, compressed, max_payload_bytes, record_types,
                             arc=ARC_START.match(head) is not None)
        yield from reader.records()
        if damage is not None:
            yield RecordError(path, size, f"{damage}")


def _is_gzip(stream: BinaryIO) -> bool:
    stream.seek(0)
    head = stream.read(3)
    stream.seek(0)
    return head == GZIP_MAGIC


class _FileReader:
    """warcio over one seekable stream, restarted after each damage at the next record boundary."""

    def __init__(self, path: str, stream: BinaryIO, size: int, compressed: bool, max_payload_bytes: int,
                 record_types: tuple[str, ...], arc: bool):
        self.path, self.stream, self.size, self.compressed = path, stream, size, compressed
        self.max_payload_bytes, self.record_types, self.arc = max_payload_bytes, record_types, arc
        self.name = os.path.basename(path)

    def records(self) -> Iterator[RawRecord | RecordError | SkippedRecord]:
        base: int | None = 0
        seen: set[int] = set()  # offsets already reported: a resync may read a record again
        while base is not None and base < self.size:
            self.stream.seek(base)
            state = _ScanState()
            for item in self._iter_from(base, state):
                if item.offset in seen:
                    continue
                seen.add(item.offset)
                yield item
            if state.failed_at is None:
                return
            # A wrong Content-Length in the last record read can swallow the next record's
            # header, so the scan restarts right after that record's start, not after the
            # failure; restarts still strictly advance, so the loop ends.
            scan_from = (state.last_record + 1) if state.last_record is not None else base + 1
            base = _next_boundary(self.stream, scan_from, self.compressed)

    def _iter_from(self, base: int, state: _ScanState):
        """Iterate from ``base``; on damage, note where in ``state`` and stop."""
        iterator = ArchiveIterator(self.stream, no_record_parse=True, arc2warc=self.arc, check_digests=False)
        # One format per file: left open, warcio parses a damaged WARC header as an ARC line.
        iterator.known_format = "arc" if self.arc else "warc"
        try:
            for record in iterator:
                # ``iterator.offset`` is where this record starts (absolute: warcio starts it at
                # the stream's tell()); get_record_offset() would consume the payload first.
                offset = iterator.offset
                item = self._read(iterator, record, offset)
                state.last_record = offset
                if isinstance(item, RecordError) and item.reason.startswith("content_length_mismatch"):
                    state.failed_at = offset  # warcio is now inside a record: resync
                    yield item
                    return
                if isinstance(item, RawRecord) and not (item.record_id and item.url):
                    # A truncated gzip member can still yield a header fragment: not a record.
                    state.failed_at = offset
                    yield RecordError(self.path, offset, "malformed_record: no WARC-Record-ID or WARC-Target-URI")
                    return
                yield item
        except (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError) as exc:
            # warcio's ``offset`` points at the start of the record that failed to parse; when
            # nothing parsed since ``base``, the damage is at ``base`` itself (the decompressor
            # may have run on into the next members before giving up).
            state.failed_at = iterator.offset if state.last_record is not None else base
            message = "".join(c if c.isprintable() else "?" for c in str(exc))[:160]
            yield RecordError(self.path, state.failed_at, f"malformed_record: {type(exc).__name__}: {message}")
            return
        if iterator.offset < self.size - 4:
            # warcio stopped early without an error (a decompressor confused by damage): resync.
            state.failed_at = iterator.offset
            yield RecordError(self.path, iterator.offset, "malformed_record: unparsed bytes after the last record")

    def _read(self, iterator: ArchiveIterator, record, offset: int) -> RawRecord | RecordError | SkippedRecord:
        rec_type = record.rec_type or "unknown"
        if rec_type not in self.record_types:
            return SkippedRecord(rec_type, offset)
        block = record.raw_stream.read(self.max_payload_bytes + 1)
        complete = len(block) <= self.max_payload_bytes
        complaints = iterator.err_count
        iterator.read_to_end()  # the rest of the block, then the blank lines that must follow it
        declared = record.length
        if iterator.err_count > complaints or (complete and declared is not None and len(block) < declared):
            return RecordError(self.path, offset, f"content_length_mismatch: Content-Length {declared} does not "
                                                  "end where the next record starts")
        if not complete:
            return RecordError(self.path, offset, f"payload_too_large: more than {self.max_payload_bytes} bytes")
        return self._convert(record, rec_type, block, offset)

    def _convert(self, record, rec_type: str, block: bytes, offset: int) -> RawRecord | RecordError:
        headers = record.rec_headers
        url = headers.get_header("WARC-Target-URI")
        http_headers, body_start = None, 0
        if rec_type == "response" and block.startswith(b"HTTP/"):
            stream = io.BytesIO(block)
            try:
                http_headers = HTTP_PARSER.parse(stream)
                body_start = stream.tell()
            except (StatusAndHeadersParserException, EOFError, ValueError):
                http_headers = None
        wrong = _digest_problem(headers, block, body_start)
        if wrong:
            return RecordError(self.path, offset, f"digest_mismatch: {wrong}")
        if http_headers is not None:
            record.http_headers, record.raw_stream = http_headers, io.BytesIO(block[body_start:])
            content_type = http_headers.get_header("Content-Type") or ""
            try:
                payload = record.content_stream().read()
            except (zlib.error, EOFError, OSError, ValueError) as exc:
                return RecordError(self.path, offset, f"unreadable_payload: {type(exc).__name__}: {str(exc)[:200]}")
        else:
            # No HTTP headers (a resource, a conversion, or a response stored without them): the
            # WARC Content-Type names the block unless it only says "HTTP message".
            content_type = headers.get_header("Content-Type") or ""
            if content_type.lower().startswith("application/http"):
                content_type = ""
            payload = block
        record_id = headers.get_header("WARC-Record-ID")
        if self.arc:
            record_id = f"<urn:arc:{self.name}:{offset}>"  # warcio's ARC conversion makes random ids
        return RawRecord(
            warc_file=self.path,
            offset=offset,
            record_type=rec_type,
            record_id=record_id,
            url=url,
            date=headers.get_header("WARC-Date"),
            content_type=content_type,
            payload=payload,
            declared_type=headers.get_header("WARC-Identified-Payload-Type"),
        )


class _ScanState:
    def __init__(self) -> None:
        self.last_record: int | None = None
        self.failed_at: int | None = None


def _digest_problem(headers, block: bytes, body_start: int) -> str | None:
    """Why the record's digest does not match its bytes (None when it does or there is none).

    The block digest covers the whole block; only when there is none is the payload digest
    checked (it covers the HTTP entity as sent, after the headers).
    """
    block_digest = headers.get_header("WARC-Block-Digest")
    if block_digest:
        return None if _digest_matches(block_digest, block) is not False else \
            f"WARC-Block-Digest {block_digest[:60]} does not match the block"
    payload_digest = headers.get_header("WARC-Payload-Digest")
    if payload_digest and _digest_matches(payload_digest, block[body_start:]) is False:
        return f"WARC-Payload-Digest {payload_digest[:60]} does not match the payload"
    return None


def _digest_matches(declared: str, data: bytes) -> bool | None:
    """Whether ``algorithm:value`` (base32, hex or base64) is the digest of ``data``; None if unknown."""
    algorithm, _, value = declared.strip().partition(":")
    try:
        digest = hashlib.new(algorithm.lower().replace("-", ""), data).digest()
    except ValueError:
        return None
    value = value.strip()
    return value.upper() in (base64.b32encode(digest).decode(), digest.hex().upper()) or \
        value == base64.b64encode(digest).decode()
