"""Hostile inputs for tests/test_bad_input.py: one builder per case of issue 14, classes 1-3.

Each builder writes its file(s) into a directory and returns a :class:`Case`: the URLs (or texts)
of the good records that must survive, and the error reasons (prefix before ``:``) that must be
counted in ``errors/``. ``python -m tests.bad_input_fixtures DIR`` writes them all for a look.
"""
from __future__ import annotations

import gzip
import io
import json
import re
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.warc_fixtures import PROSE, good_pages, page, warc_bytes


@dataclass
class Case:
    name: str
    good: list[str]  # URLs (crawl files) or texts (document files) that must be read
    errors: list[str] = field(default_factory=list)  # reasons that must be counted, one per bad record
    text_has: dict[str, str] = field(default_factory=dict)  # URL -> a string its text must contain


# -- class 1: every record a library can read is read -------------------------------------------------

def _http(body: bytes, content_type: str = "text/html") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)


def arc_bytes(n: int, prefix: str, gzip_members: bool) -> bytes:
    """An ARC v1 file (the Internet Archive's pre-WARC format): a filedesc record, then responses."""
    header_body = b"1 0 Test Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [b"filedesc://test.arc 0.0.0.0 20080101000000 text/plain %d\n" % len(header_body)
               + header_body + b"\n"]
    for i in range(n):
        block = _http(page(i))
        records.append(f"{prefix}{i} 10.0.0.{i + 1} 2008010100{i:04d} text/html {len(block)}\n".encode()
                       + block + b"\n")
    if gzip_members:
        return b"".join(gzip.compress(r, mtime=0) for r in records)
    return b"".join(records)


def case_arc(directory: Path, gzipped: bool) -> Case:
    name = "crawl-2008.arc.gz" if gzipped else "crawl-2008.arc"
    prefix = f"http://arc{'gz' if gzipped else ''}.example/"
    (directory / name).write_bytes(arc_bytes(4, prefix, gzipped))
    return Case(name, [f"{prefix}{i}" for i in range(4)])


def case_whole_file_gzip(directory: Path) -> Case:
    plain, _ = warc_bytes(good_pages(5, "http://onegzip.example/"), gzip=False)
    (directory / "one-stream.warc.gz").write_bytes(gzip.compress(plain, mtime=0))
    return Case("one-stream.warc.gz", [f"http://onegzip.example/{i}" for i in range(5)])


def warc018_lf_bytes(n: int, prefix: str) -> bytes:
    """ClueWeb09-style records: WARC/0.18, LF line ends, HTTP headers with LF too."""
    out = [b"WARC/0.18\nWARC-Type: warcinfo\nWARC-Date: 2009-03-65T08:43:19-0800\nContent-Type: "
           b"application/warc-fields\nWARC-Record-ID: <urn:uuid:info>\nContent-Length: 12\n\nsoftware: x\n\n\n"]
    for i in range(n):
        body = page(i)
        block = b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: %d\n\n" % len(body) + body
        out.append(f"WARC/0.18\nWARC-Type: response\nWARC-Target-URI: {prefix}{i}\nWARC-Date: 2009-01-13T19:06:06-0800\n"
                   f"WARC-Record-ID: <urn:uuid:cw09-{i:04d}>\nContent-Type: application/http;msgtype=response\n"
                   f"Content-Length: {len(block)}\n\n".encode() + block + b"\n\n")
    return b"".join(out)


def case_warc018_lf(directory: Path) -> Case:
    prefix = "http://clueweb.example/"
    (directory / "clueweb09.warc.gz").write_bytes(gzip.compress(warc018_lf_bytes(4, prefix), mtime=0))
    return Case("clueweb09.warc.gz", [f"{prefix}{i}" for i in range(4)])


def raw_warc_record(url: str, i: int, block: bytes, content_type: str = "application/http; msgtype=response",
                    extra: str = "") -> bytes:
    return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-05-18T00:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:raw-{i:04d}>\r\nContent-Type: {content_type}\r\n{extra}"
            f"Content-Length: {len(block)}\r\n\r\n").encode() + block + b"\r\n\r\n"


def case_headerless(directory: Path) -> Case:
    """Responses whose block is the HTML itself, no status line (seen in malformed crawls)."""
    prefix = "http://noheaders.example/"
    bodies = [page(0), b"\n  <!DOCTYPE html>" + page(1), b"<HTML><BODY><P>" + PROSE.encode() * 2 + b"</P></BODY></HTML>",
              b"<!-- served raw -->" + page(3)]
    data = b"".join(raw_warc_record(f"{prefix}{i}", i, body) for i, body in enumerate(bodies))
    (directory / "no-http-headers.warc").write_bytes(data)
    return Case("no-http-headers.warc", [f"{prefix}{i}" for i in range(4)])


def _with_length(data: bytes, offs: list[int], index: int, delta: int) -> bytes:
    end = offs[index + 1] if index + 1 < len(offs) else len(data)
    record = data[offs[index]:end]
    declared = re.search(rb"Content-Length: (\d+)", record)
    record = record.replace(declared.group(0), b"Content-Length: %d" % (int(declared.group(1)) + delta), 1)
    return data[:offs[index]] + record + data[end:]


def case_length(directory: Path, delta: int, gzipped: bool = False) -> Case:
    kind = "long" if delta > 0 else "short"
    prefix = f"http://{kind}{'gz' if gzipped else ''}.example/"
    data, offs = warc_bytes(good_pages(5, prefix), gzip=False)
    if gzipped:
        records = [data[o:e] for o, e in zip(offs, offs[1:] + [len(data)])]
        records[2] = _with_length(records[2], [0], 0, delta)
        payload = b"".join(gzip.compress(r, mtime=0) for r in records)
    else:
        payload = _with_length(data, offs, 2, delta)
    name = f"length-{kind}.warc.gz" if gzipped else f"length-{kind}.warc"
    (directory / name).write_bytes(payload)
    return Case(name, [f"{prefix}{i}" for i in (0, 1, 3, 4)], ["content_length_mismatch"])


def case_digest(directory: Path) -> Case:
    """A record whose bytes were altered in place (same length): only its digest tells."""
    prefix = "http://digest.example/"
    data, offs = warc_bytes(good_pages(4, prefix), gzip=False)
    start = data.index(b"This is page 1.", offs[1])
    data = data[:start] + b"This is PAGE 1." + data[start + len(b"This is page 1."):]
    (directory / "bit-rot.warc").write_bytes(data)
    return Case("bit-rot.warc", [f"{prefix}{i}" for i in (0, 2, 3)], ["digest_mismatch"])


BINARY_BODIES = {
    "pdf": b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" * 120,
    "postscript": b"%!PS-Adobe-3.0\n" + b"/Times-Roman findfont 12 scalefont setfont\n" * 120,
    "rtf": b"{\\rtf1\\ansi\\deff0 " + b"{\\fonttbl{\\f0 Times;}} Hello world paragraph \\par " * 120 + b"}",
    "zip": b"PK\x03\x04" + b"word/document.xml" * 300,
    "gif": b"GIF89a" + b"A" * 4000,
    "ogg": b"OggS" + b"vorbis" * 700,
    "mp3": b"ID3\x04" + b"LAME3.100" * 500,
    "wasm": b"\x00asm\x01\x00\x00\x00" + b"x" * 100,
    "woff2": b"wOF2" + b"F" * 4000,
}


def case_binary_magic(directory: Path) -> Case:
    """Bodies served as text/html whose first bytes name a binary format (first 4 KB mostly ASCII)."""
    bodies = [("http://magic.example/good", page(0), "text/html")]
    bodies += [(f"http://magic.example/{kind}", body, "text/html") for kind, body in BINARY_BODIES.items()]
    data, _ = warc_bytes(bodies)
    (directory / "binary-as-html.warc.gz").write_bytes(data)
    return Case("binary-as-html.warc.gz", ["http://magic.example/good"], ["binary_body"] * len(BINARY_BODIES))


def crawl_file_cases(directory: Path) -> list[Case]:
    directory.mkdir(parents=True, exist_ok=True)
    return [case_arc(directory, False), case_arc(directory, True), case_whole_file_gzip(directory),
            case_warc018_lf(directory), case_headerless(directory), case_length(directory, 400),
            case_length(directory, -40), case_length(directory, 400, gzipped=True),
            case_length(directory, -40, gzipped=True), case_digest(directory), case_binary_magic(directory)]


# -- class 2: text decoded as browsers do (WHATWG) -----------------------------------------------------

CAFE = "Le café, la crème brûlée et le théâtre: très bien, à bientôt."
CJK = {
    "euc-kr": "대한민국의 수도는 서울이며, 한국어는 한글로 적는다. 오늘은 날씨가 매우 좋고 사람들이 공원에서 산책을 한다.",
    "gbk": "中华人民共和国的首都是北京。今天天气很好，人们在公园里散步，孩子们在河边玩耍。",
    "big5": "中華民國的首都是臺北。今天天氣很好，人們在公園裡散步，孩子們在河邊玩耍。",
    "shift_jis": "日本の首都は東京です。今日はとても良い天気で、人々は公園を散歩しています。",
}


def html_page(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><article><p>{text}</p><p>{text}</p></article></body></html>"


def charset_bodies() -> list[tuple[str, bytes, str, str]]:
    """(url, body, HTTP Content-Type, text the document must contain)."""
    u = "http://charset.example/"
    cases = [
        (u + "bom-utf8-vs-http", b"\xef\xbb\xbf" + html_page(CAFE).encode(), "text/html; charset=windows-1252", CAFE),
        (u + "bom-utf16le-vs-meta", b"\xff\xfe" + html_page(CAFE, '<meta charset="iso-8859-1">').encode("utf-16-le"),
         "text/html", CAFE),
        (u + "bom-utf16be", b"\xfe\xff" + html_page(CAFE).encode("utf-16-be"), "text/html; charset=utf-8", CAFE),
        (u + "declared-sjis-is-utf8", html_page(CAFE + " 東京").encode(), "text/html; charset=shift_jis",
         CAFE + " 東京"),
        (u + "declared-latin1-is-utf8", html_page(CAFE).encode(), "text/html; charset=iso-8859-1", CAFE),
        (u + "meta-utf16", html_page(CAFE, '<meta charset="utf-16">').encode(), "text/html", CAFE),
        (u + "meta-utf16le-http-equiv",
         html_page(CAFE, '<meta http-equiv="Content-Type" content="text/html; charset=UTF-16LE">').encode(),
         "text/html", CAFE),
        (u + "unicode-escape-label", html_page("Literal \\u00e9 and \\x41 stay as typed; " + CAFE).encode(),
         "text/html; charset=unicode_escape", "Literal \\u00e9 and \\x41 stay as typed"),
        (u + "utf7-label", html_page("A+ImIDkQ. plus signs +- stay; " + CAFE).encode(), "text/html; charset=utf-7",
         "A+ImIDkQ. plus signs +- stay"),
        (u + "latin1-meta", html_page(CAFE, "<meta charset=latin1>").encode("cp1252"), "text/html", CAFE),
    ]
    for encoding, text in CJK.items():
        cases.append((u + f"undeclared-{encoding}", html_page(text * 3).encode(encoding), "text/html", text))
    return cases


def case_charsets(directory: Path) -> Case:
    bodies = charset_bodies()
    data, _ = warc_bytes([(url, body, ctype) for url, body, ctype, _ in bodies])
    (directory / "charsets.warc.gz").write_bytes(data)
    return Case("charsets.warc.gz", [b[0] for b in bodies], text_has={url: want for url, _, _, want in bodies})


# -- class 3: a bad row is a counted error ------------------------------------------------------------

def _jsonl(rows: list) -> bytes:
    return b"".join((r if isinstance(r, str) else json.dumps(r)).encode() + b"\n" for r in rows)


def jsonl_rows() -> tuple[list, list[str], list[str]]:
    """(raw rows, texts that must survive, reasons that must be counted)."""
    rows = [
        {"id": 12345, "url": 678, "text": "An integer id and url are still a good row."},
        {"id": "dolma-1", "text": "A Dolma row with a metadata object.", "metadata": {"length": 36, "lang": "en"}},
        {"id": "list", "text": ["a", "b"]},
        {"id": "bool", "text": True},
        '{"id": "surrogate", "text": "A lone \\ud800 surrogate is replaced, the row is kept."}',
        {"id": "score", "text": "A language score that is a word.", "language_score": "high"},
        {"id": "nested-id", "text": "An id that is an object.", "id_": 1, "url": {"href": "x"}},
        {"id": "fine", "text": "A perfectly ordinary row.", "language_score": "0.75"},
    ]
    good = ["An integer id and url are still a good row.", "A Dolma row with a metadata object.",
            "A lone \ufffd surrogate is replaced, the row is kept.", "A perfectly ordinary row."]
    errors = ["text must be a string", "text must be a string", "language_score must be a number",
              "url must be a string"]
    return rows, good, errors


def case_jsonl_rows(directory: Path) -> Case:
    rows, good, errors = jsonl_rows()
    (directory / "rows.jsonl").write_bytes(_jsonl(rows))
    return Case("rows.jsonl", good, errors)


def case_jsonl_bom(directory: Path) -> Case:
    (directory / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + _jsonl([{"text": "First row after a BOM."},
                                                                    {"text": "Second row."}]))
    return Case("bom.jsonl", ["First row after a BOM.", "Second row."])


def numbered_lines(n: int, tag: str) -> list[str]:
    return [f"{tag} line {i}: " + "words of a document that compress poorly " + str(i * 7919) for i in range(n)]


def case_truncated_gzip(directory: Path) -> Case:
    texts = numbered_lines(3000, "truncated")
    data = gzip.compress(_jsonl([{"text": t} for t in texts]), mtime=0)
    cut = data[: len(data) * 2 // 3]
    (directory / "truncated.jsonl.gz").write_bytes(cut)
    return Case("truncated.jsonl.gz", texts[:recoverable_lines(cut)], ["truncated_gzip"])


def case_zero_filled_gzip(directory: Path) -> Case:
    texts = numbered_lines(3000, "zeroed")
    data = bytearray(gzip.compress(_jsonl([{"text": t} for t in texts]), mtime=0))
    start = len(data) // 2
    data[start:start + 4096] = bytes(4096)
    (directory / "zero-filled.jsonl.gz").write_bytes(bytes(data))
    return Case("zero-filled.jsonl.gz", texts[:recoverable_lines(bytes(data[:start]))], ["damaged_gzip"])


def recoverable_lines(prefix: bytes) -> int:
    """Complete lines that any gzip reader can get from ``prefix`` (byte by byte, the most possible)."""
    decompressor = zlib.decompressobj(31)
    out = b"".join(decompressor.decompress(prefix[i:i + 1]) for i in range(len(prefix)))
    return out.count(b"\n")


def case_parquet_files(directory: Path) -> list[Case]:
    table = pa.table({"id": ["p1", "p2"], "text": ["Good parquet row one.", "Good parquet row two."]})
    pq.write_table(table, directory / "good.parquet")
    sink = io.BytesIO()
    pq.write_table(table, sink)
    (directory / "truncated.parquet").write_bytes(sink.getvalue()[:-100])
    (directory / "not-really.parquet").write_bytes(b"<html>an error page saved under the wrong name</html>")
    ints = pa.table({"id": pa.array([7, 8], pa.int64()), "text": ["Integer id row.", "Another integer id row."]})
    pq.write_table(ints, directory / "int-ids.parquet")
    return [Case("good.parquet", ["Good parquet row one.", "Good parquet row two."]),
            Case("truncated.parquet", [], ["not_parquet"]), Case("not-really.parquet", [], ["not_parquet"]),
            Case("int-ids.parquet", ["Integer id row.", "Another integer id row."])]


def case_bracket_name(directory: Path) -> Case:
    (directory / "dump[1].jsonl").write_bytes(_jsonl([{"text": "A file whose name has brackets."}]))
    return Case("dump[1].jsonl", ["A file whose name has brackets."])


def document_file_cases(directory: Path) -> list[Case]:
    directory.mkdir(parents=True, exist_ok=True)
    return [case_jsonl_rows(directory), case_jsonl_bom(directory), case_truncated_gzip(directory),
            case_zero_filled_gzip(directory), *case_parquet_files(directory), case_bracket_name(directory)]


if __name__ == "__main__":  # pragma: no cover - a look at the files by hand
    root = Path(sys.argv[1])
    for case in crawl_file_cases(root / "crawl") + [case_charsets(root / "crawl")] + document_file_cases(root / "docs"):
        print(f"{case.name}: {len(case.good)} good, errors {case.errors}")
