"""Build a bench WARC of a requested size from real HTML pages, streaming, flat memory.

    python bench/bench_warc.py --mb 1000 --out /tmp/bench.warc.gz     # 1 GB from the shipped real pages
    python bench/bench_warc.py --mb 200 --files 4 --out /tmp/warcs --pages ~/crawl/*.warc.gz page.html

The pages are the HTML responses of the real WARC files the sample ships (``sample/real/``,
byte-for-byte Common Crawl / warcio files), plus any WARC files, HTML files or folders of
them given with ``--pages``; they are cycled until the file reaches the size, each copy with
a fresh URL (``?bench-copy=N`` added) and a fresh, deterministic WARC-Record-ID. Real pages
extract several times slower than the synthetic sample's, so ingest benches use these.

Layout: one ``warcinfo`` record, then one ``response`` record per page, each its own gzip
member (as Common Crawl writes them). The HTTP block of a page is the same in every copy, so
it is deflated once after a full flush and reused: only the WARC headers are compressed per
record (and the CRC computed), which makes a 1 GB file a few seconds of disk writes.

From code::

    from bench.bench_warc import build_warcs, real_pages
    files = build_warcs(out_dir, total_bytes=100 * 10**6, files=4)    # -> list of paths
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import struct
import sys
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED_REAL = REPO / "sample" / "real"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DROPPED_HTTP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
LEVEL = 6  # gzip's default


@dataclass
class Page:
    """One HTML response: its URL and date, and the HTTP block (status, headers, decoded body)."""
    url: str
    date: str
    http_block: bytes


@dataclass
class _Prepared:
    page: Page
    deflated: bytes  # raw deflate of http_block + CRLF CRLF, final block, fresh dictionary
    crc_block: bytes
    payload_digest: str
    block_len: int


def real_pages(extra: Iterable[str | Path] = ()) -> list[Page]:
    """The HTML responses of ``sample/real/*.warc.gz`` and of the given paths, in a stable order."""
    paths = sorted(SHIPPED_REAL.glob("*.warc.gz"))
    for item in extra:
        item = Path(item)
        paths += sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
    pages = []
    for path in paths:
        if path.suffix in (".html", ".htm"):
            pages.append(_html_file_page(path))
        elif ".warc" in path.name and ".wet" not in path.name:
            pages.extend(_warc_pages(path))
    if not pages:
        raise SystemExit("no HTML responses found in the given pages")
    return pages


def _warc_pages(path: Path) -> Iterator[Page]:
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = (record.http_headers.get_header("Content-Type") or "").lower()
            if not content_type.startswith(HTML_TYPES):
                continue
            body = record.content_stream().read()  # chunking and content-encoding undone
            headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in DROPPED_HTTP_HEADERS]
            yield Page(record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Date"),
                       _http_block(record.http_headers.statusline, headers, body))


def _html_file_page(path: Path) -> Page:
    headers = [("Content-Type", "text/html")]
    return Page(f"https://bench.invalid/{path.name}", "2024-05-22T00:00:00Z",
                _http_block("200 OK", headers, path.read_bytes()))


def _http_block(statusline: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in [*headers, ("Content-Length", str(len(body)))])
    return f"HTTP/1.1 {statusline}\r\n{head}\r\n".encode("latin-1", errors="replace") + body


def _prepare(page: Page) -> _Prepared:
    tail = page.http_block + b"\r\n\r\n"
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
    body = page.http_block.split(b"\r\n\r\n", 1)[1]
    return _Prepared(page, deflated, tail, _sha1(body), len(page.http_block))


def _sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _member(header: bytes, prepared: _Prepared | None = None, block: bytes = b"") -> bytes:
    """One gzip member: WARC header deflated and fully flushed, then the (reused) deflated block."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    if prepared is None:
        data = header + block + b"\r\n\r\n"
        body = compressor.compress(data) + compressor.flush(zlib.Z_FINISH)
        crc, size = zlib.crc32(data), len(data)
    else:
        # A full flush resets the dictionary, so the block's deflate stream does not depend on
        # the header before it and can be appended as it is.
        body = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH) + prepared.deflated
        crc = zlib.crc32(prepared.crc_block, zlib.crc32(header))
        size = len(header) + len(prepared.crc_block)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _warc_header(fields: list[tuple[str, str]], length: int) -> bytes:
    lines = "".join(f"{k}: {v}\r\n" for k, v in [*fields, ("Content-Length", str(length))])
    return f"WARC/1.0\r\n{lines}\r\n".encode("utf-8")


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(map(str, parts)))}>"


def _copy_url(url: str, copy: int) -> str:
    base, _, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}bench-copy={copy}"
    return f"{joined}#{fragment}" if fragment else joined


def write_warc(path: Path, target_bytes: int, pages: list[Page], start_copy: int = 0) -> tuple[int, int]:
    """Write ``path`` until it holds at least ``target_bytes`` (and one page); returns (pages, next copy)."""
    prepared = [_prepare(p) for p in pages]
    info = "software: cc-curation bench/bench_warc.py\r\nformat: WARC File Format 1.0\r\n".encode()
    copy, written = start_copy, 0
    with open(path, "wb") as out:
        header = _warc_header([("WARC-Type", "warcinfo"), ("WARC-Record-ID", _record_id(path.name, "info")),
                               ("WARC-Date", pages[0].date), ("WARC-Filename", path.name),
                               ("Content-Type", "application/warc-fields")], len(info))
        out.write(_member(header, block=info))
        while written == 0 or out.tell() < target_bytes:
            for index, item in enumerate(prepared):
                fields = [("WARC-Type", "response"), ("WARC-Date", item.page.date),
                          ("WARC-Record-ID", _record_id(copy, index, item.page.url)),
                          ("WARC-Target-URI", _copy_url(item.page.url, copy)),
                          ("WARC-Payload-Digest", item.payload_digest),
                          ("Content-Type", "application/http; msgtype=response")]
                out.write(_member(_warc_header(fields, item.block_len), item))
                written += 1
                if out.tell() >= target_bytes:
                    break
            copy += 1
    return written, copy


def build_warcs(out: Path, total_bytes: int, files: int = 1, extra_pages: Iterable[str | Path] = ()) -> list[Path]:
    """``files`` gzip WARC files of ``total_bytes`` together in the folder ``out`` (or one file named ``out``)."""
    pages = real_pages(extra_pages)
    out = Path(out)
    if files == 1 and out.name.endswith(".warc.gz"):
        out.parent.mkdir(parents=True, exist_ok=True)
        paths = [out]
    else:
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"BENCH-{i:05d}.warc.gz" for i in range(files)]
    copy = 0
    for path in paths:
        _, copy = write_warc(path, max(1, total_bytes // files), pages, start_copy=copy)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=100.0, help="total size in MB (10^6 bytes) of gzip WARC")
    parser.add_argument("--files", type=int, default=1, help="split into this many files (a folder)")
    parser.add_argument("--out", required=True, help="a .warc.gz file (one file) or a folder")
    parser.add_argument("--pages", nargs="*", default=[], help="more WARC/HTML files or folders to cycle")
    args = parser.parse_args(argv)
    paths = build_warcs(Path(args.out), int(args.mb * 1e6), args.files, args.pages)
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} file(s), {total / 1e6:.1f} MB, from {len(real_pages(args.pages))} distinct real pages")


if __name__ == "__main__":
    sys.exit(main())
