"""Small WARC builders for tests: good records and every kind of damage seen in real crawls."""
from __future__ import annotations

import io
import re
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PROSE = ("The river ran quietly past the old mill, and the children walked along its bank every morning. "
         "Nobody in the village remembered when the wheel had last turned. ")


def page(n: int, words: str = PROSE) -> bytes:
    return (f"<html><head><title>Page {n}</title></head><body><article><h1>Story number {n}</h1>"
            f"<p>{words} This is page {n}.</p><p>{words}</p></article></body></html>").encode()


def warc_bytes(bodies: list[tuple[str, bytes, str]], gzip: bool = True) -> tuple[bytes, list[int]]:
    """(url, body, content type) triples as response records; returns the bytes and record offsets."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip)
    offsets = []
    for i, (url, body, content_type) in enumerate(bodies):
        offsets.append(buf.tell())
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                           warc_headers_dict={
                                               "WARC-Date": "2024-05-18T00:00:00Z",
                                               "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{i:012d}>"})
        writer.write_record(record)
    return buf.getvalue(), offsets


def good_pages(n: int = 5, prefix: str = "http://good.example/") -> list[tuple[str, bytes, str]]:
    return [(f"{prefix}{i}", page(i), "text/html; charset=utf-8") for i in range(n)]


def write_damaged_set(directory: Path) -> dict[str, list[str]]:
    """Write one file per damage kind; returns file name -> URLs of the good records it holds."""
    directory.mkdir(parents=True, exist_ok=True)
    expected: dict[str, list[str]] = {}

    def urls(prefix: str, keep: list[int]) -> list[str]:
        return [f"{prefix}{i}" for i in keep]

    data, offs = warc_bytes(good_pages(5, "http://trunc.example/"))
    (directory / "truncated_member.warc.gz").write_bytes(data[:offs[2] + 40] + data[offs[3]:])
    expected["truncated_member.warc.gz"] = urls("http://trunc.example/", [0, 1, 3, 4])

    data, offs = warc_bytes(good_pages(3, "http://tail.example/"))
    (directory / "truncated_tail.warc.gz").write_bytes(data[:offs[2] + 60])
    expected["truncated_tail.warc.gz"] = urls("http://tail.example/", [0, 1])

    data, offs = warc_bytes(good_pages(5, "http://header.example/"), gzip=False)
    bad = data[offs[2]:offs[3]].replace(b"WARC/1.0", b"WARX/1.0", 1)
    (directory / "bad_header.warc").write_bytes(data[:offs[2]] + bad + data[offs[3]:])
    expected["bad_header.warc"] = urls("http://header.example/", [0, 1, 3, 4])

    data, offs = warc_bytes(good_pages(5, "http://length.example/"), gzip=False)
    record = data[offs[1]:offs[2]]
    declared = re.search(rb"Content-Length: (\d+)", record)
    longer = record.replace(declared.group(0), b"Content-Length: %d" % (int(declared.group(1)) + 50))
    (directory / "wrong_length.warc").write_bytes(data[:offs[1]] + longer + data[offs[2]:])
    expected["wrong_length.warc"] = urls("http://length.example/", [0, 2, 3, 4])  # 1 is counted, not kept

    bodies = [
        ("http://mixed.example/0", page(0), "text/html; charset=utf-8"),
        # Latin-1 bytes declared as UTF-8: must decode (via detection), not crash.
        ("http://mixed.example/latin1", "<html><body><p>Café crème à la française, très bien.</p></body></html>"
         .encode("latin-1"), "text/html; charset=utf-8"),
        ("http://mixed.example/binary", b"\x00\x01\x02PK\x03\x04" + bytes(range(256)) * 8, "text/html"),
        ("http://mixed.example/huge", b"<html><body><p>" + b"word " * (2_200_000) + b"</p></body></html>",
         "text/html"),
        ("http://mixed.example/image", b"\x89PNG\r\n\x1a\n" + bytes(300), "image/png"),
        ("http://mixed.example/4", page(4), "text/html; charset=utf-8"),
    ]
    data, _ = warc_bytes(bodies)
    (directory / "mixed_bodies.warc.gz").write_bytes(data)
    expected["mixed_bodies.warc.gz"] = ["http://mixed.example/0", "http://mixed.example/latin1",
                                        "http://mixed.example/4"]

    (directory / "empty.warc.gz").write_bytes(b"")
    expected["empty.warc.gz"] = []
    return expected
