"""JSONL texts through pyarrow (``iter_file_texts``) read exactly what ``json.loads`` a line at a time reads.

The reference below is the per-line reader as it was before pyarrow: the same texts in the same
order, the same bad rows (line number and reason) between them, for every block size, gzipped or
not, damaged or not. The nasty rows are the ones where pyarrow and json.loads could disagree.
"""
from __future__ import annotations

import gzip
import io
import json
import random

import pytest

import curation.io.docfiles as docfiles
import curation.io.jsonl_arrow as jsonl_arrow
from curation.document import document_text, new_document
from curation.io.docfiles import iter_file_texts
from curation.io.gunzip import GzipDamage, gunzip_chunks

GOOD = [
    json.dumps(new_document("A plain English document.\nWith two lines.", url="https://a.example/1"), sort_keys=True),
    json.dumps(new_document("Ünïcödé, 中文文本 and 😀 written raw", url="https://a.example/2"), ensure_ascii=False),
    json.dumps(new_document("Escaped: caf\u00e9 \U0001F600 \u0000 \"quoted\" \\ back", url=None), ensure_ascii=True),
    json.dumps(new_document("", url="https://a.example/empty")),  # an empty text is yielded
    json.dumps(new_document("Information, Infinite, NaNny: words", url=None, quality_score=0.5)),
]

NASTY = [
    # no text, or not an object
    '{"text": null}', '{"id": "no text"}', "{}", "null", "[1, 2]", '"a string"', "5", "true", "NaN",
    # a text that is not a string
    '{"text": 5}', '{"text": 5.5}', '{"text": true}', '{"text": ["a"]}', '{"text": {"a": 1}}', '{"text": Inf}',
    # blank lines and lines json.loads sees as blank or not
    "", "   ", "\t", "\r", "\u00a0", "\x0c", "\x1c", "\x0b",
    # BOM, CR, whitespace around the object
    '\ufeff{"text": "a BOM inside the file"}', '{"text": "a CR at the end"}\r', ' {"text": "leading space"}',
    '{"text": "trailing space"}  ', '{"text": "trailing VT"}\x0b', '{"text": "CR in the middle"}\r{"text": "b"}',
    # surrogates
    '{"text": "lone \\ud800 high"}', '{"text": "lone \\udc00 low"}', '{"text": "reversed \\ude00\\ud83d"}',
    '{"text": "a pair \\ud83d\\ude00"}', '{"text": "kept", "other": "\\ud800"}', '{"text": "k", "url": "\\udfff"}',
    # duplicate and escaped keys
    '{"text": "a", "text": "b"}', '{"text": null, "text": "b"}', '{"text": "a", "te\\u0078t": 5}',
    '{"te\\u0078t": "an escaped key"}', '{"id": "a", "id": 5, "text": "dup id"}', '{"text": "x", "x": 1, "x": 2}',
    # numbers pyarrow reads and json.loads refuses, or the other way round
    '{"text": "a", "x": Inf}', '{"text": "a", "x": -Inf}', '{"text": "a", "x": -NaN}', '{"text": "a", "x": NaN}',
    '{"text": "a", "x": Infinity}', '{"text": "a", "x": [-Infinity]}', '{"text": "a", "quality_score": Inf}',
    '{"text": "a", "quality_score": NaN}', '{"text": "a", "language_score": -Infinity}',
    '{"text": "a", "quality_score": 1e999}', '{"text": "a", "x": 1e999}', '{"text": "a", "x": 01}',
    '{"text": "a", "x": 1.}', '{"text": "a", "x": +1}', '{"text": "a", "x": 12345678901234567890123}',
    '{"text": "words: Inf, [NaN and -NaN in a string"}',
    # two values on a line, one value over two lines
    '{"text": "a"}{"text": "b"}', '{"text": "a"} {"text": "b"}', '{"text":\n"over two lines"}',
    '{"text": "first"}{"text": "cancels"}\n{"text":\n"the split"}', '{"a": {}\n, "text": "x"}', "{",
    # not JSON
    '{"text": "a"} x', '{"text": "a"},', '{"text": "a",}', "{'text': 'single quotes'}", '{"text": "a"} // comment',
    '{"text": "bad \\x escape"}', '{"text": "short \\u00"}', '{"text": "raw\ttab"}', '{"text": "raw\x01control"}',
    # fields of the document schema, good and bad types
    '{"text": "a", "language_score": "high"}', '{"text": "a numeric string score", "language_score": "0.75"}',
    '{"text": "a", "warc_offset": 1.0}', '{"text": "a digit offset", "warc_offset": "12"}',
    '{"text": "a huge offset", "warc_offset": 99999999999999999999}', '{"text": "int id", "id": 123}',
    '{"text": "a", "id": true}', '{"text": "a", "duplicate": 1}', '{"text": "dup", "duplicate": false}',
    '{"text": "meta object", "metadata": {"k": [1, {"n": null}]}}', '{"text": "meta list", "metadata": [1]}',
    '{"text": "a", "metadata": 5}', '{"text": "a", "url": {"href": "x"}}', '{"text": "n", "url": null, "id": null}',
    '{"text": "an extra field", "added": "2024-01-01", "nested": {"a": [1, 2.5, null]}}',
]
NASTY_BYTES = [  # lines that are not UTF-8
    b'{"text": "bad \xff byte"}', b'{"text": "ok", "x": "\xff"}', b'{"text": "overlong \xc0\xaf"}',
    b'{"text": "cesu \xed\xa0\x80"}', b'{"text": "cut \xe2\x82"}', b'{"te\xffxt": "bad key"}', b'\xff\xfe',
]
FIRST_ROWS = {  # the first row decides how pyarrow reads the file
    "closed": GOOD[0],
    "open": '{"text": "first", "added": "2024", "meta": {"a": 1}}',
    "int-id": '{"id": 7, "text": "first with an integer id"}',
    "metadata-object": '{"text": "first", "metadata": {"source": "dolma"}}',
    "bad-first": "null",
    "blank-first": "",
}
BLOCK_SIZES = (1, 5, 64, 300, 4096, docfiles.LINE_BLOCK)


def reference(path: str) -> list[tuple]:
    """Texts and bad rows, in order, of json.loads a line at a time over the whole file (the old reader)."""
    damage = None
    with open(path, "rb") as fh:
        if path.endswith(".gz"):
            data = bytearray()
            try:
                for chunk in gunzip_chunks(fh):
                    data += chunk
            except GzipDamage as exc:
                damage = exc
        else:
            data = fh.read()
    lines = bytes(data).decode("utf-8", "replace").split("\n")
    if damage:
        lines = lines[:-1]  # the line the damage cut
    events: list[tuple] = []
    for line_no, line in enumerate(lines, 1):
        if line_no == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            row = json.loads(line.removesuffix("\r"))
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            events.append(("text", document_text(row)))
        except ValueError as exc:
            events.append(("bad", line_no, str(exc)))
    if damage:
        events.append(("bad", len(lines) + 1, str(damage)))
    return events


def read(path: str, block_size: int) -> list[tuple]:
    events: list[tuple] = []
    for text in iter_file_texts(path, on_error=lambda _, n, why: events.append(("bad", n, why)),
                                block_size=block_size):
        events.append(("text", text))
    return events


def encode(lines: list, eol: bytes = b"\n") -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")) + eol
                    for line in lines)


def nasty_files(tmp_path) -> list[str]:
    rng = random.Random(18)
    files = []
    for name, first in FIRST_ROWS.items():
        for copy in range(2):  # the nasty rows between good ones, shuffled: every neighbour, every block cut
            rows = [first] + [row for nasty in NASTY + NASTY_BYTES for row in (nasty, rng.choice(GOOD))]
            if copy:
                rng.shuffle(rows)
            data = encode(rows)
            if copy:
                data = data[:-1]  # no newline at the end
            files.append(tmp_path / f"{name}-{copy}.jsonl")
            files[-1].write_bytes(data)
            files.append(tmp_path / f"{name}-{copy}.jsonl.gz")
            files[-1].write_bytes(gzip.compress(data, mtime=0))
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + encode(GOOD * 3 + NASTY[:20]))
    (tmp_path / "crlf.jsonl").write_bytes(encode(GOOD * 3 + NASTY, eol=b"\r\n"))
    (tmp_path / "crlf-no-end.jsonl").write_bytes(encode(GOOD * 3, eol=b"\r\n")[:-2])
    (tmp_path / "mixed-eol.jsonl").write_bytes(encode(GOOD * 2) + encode(GOOD * 2, eol=b"\r\n") + encode(GOOD))
    (tmp_path / "only-nasty.jsonl").write_bytes(encode(NASTY + NASTY_BYTES))
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n\n  \n")
    return [str(p) for p in files] + [str(tmp_path / n) for n in (
        "bom.jsonl", "crlf.jsonl", "crlf-no-end.jsonl", "mixed-eol.jsonl", "only-nasty.jsonl", "empty.jsonl",
        "blank.jsonl")]


def test_pyarrow_reads_what_json_loads_reads(tmp_path):
    for path in nasty_files(tmp_path):
        want = reference(path)
        assert any(e[0] == "text" for e in want) or "empty" in path or "blank" in path or "nasty" in path
        for size in BLOCK_SIZES:
            assert read(path, size) == want, (path, size)


def test_damaged_gzip_keeps_every_line_before_the_damage(tmp_path):
    rows = [row for nasty in NASTY for row in (nasty, GOOD[0])] * 4
    data = gzip.compress(encode(rows), mtime=0)
    rng = random.Random(4)
    cuts = [rng.randrange(20, len(data)) for _ in range(6)]
    for i, cut in enumerate(cuts):
        truncated, zeroed = tmp_path / f"cut{i}.jsonl.gz", tmp_path / f"zero{i}.jsonl.gz"
        truncated.write_bytes(data[:cut])
        zeroed.write_bytes(data[:cut] + bytes(256) + data[cut + 256:])
        for path in (str(truncated), str(zeroed)):
            want = reference(path)
            assert want[-1][0] == "bad" and "gzip" in want[-1][2]
            for size in (1, 300, 1 << 20):
                assert read(path, size) == want, (path, size)


def test_without_on_error_the_first_bad_row_raises(tmp_path):
    path = tmp_path / "raise.jsonl"
    path.write_bytes(encode(GOOD * 50 + ['{"text": null}'] + GOOD))
    texts = []
    with pytest.raises(ValueError, match=rf"raise.jsonl:{len(GOOD) * 50 + 1}: document has no 'text' field"):
        for text in iter_file_texts(str(path), block_size=1000):
            texts.append(text)
    assert texts == [json.loads(g)["text"] for g in GOOD * 50]


@pytest.mark.parametrize("first", ["closed", "open", "int-id", "metadata-object"])
def test_clean_files_are_parsed_by_pyarrow(tmp_path, monkeypatch, first):
    """The fast path is taken: good rows of every kind of file, gzipped, CR LF, after a BOM, null texts."""
    per_line = []
    real = docfiles._json_texts
    monkeypatch.setattr(docfiles, "_json_texts", lambda *a: per_line.append(a) or real(*a))
    good = GOOD if first != "int-id" else [json.dumps({**json.loads(g), "id": i}) for i, g in enumerate(GOOD)]
    rows = [FIRST_ROWS[first]] + good * 200 + ['{"text": null}'] + good * 200
    data = encode(rows)
    cases = {"plain.jsonl": data, "crlf.jsonl": encode(rows, eol=b"\r\n"), "bom.jsonl": b"\xef\xbb\xbf" + data,
             "plain.jsonl.gz": gzip.compress(data, mtime=0)}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        path = str(tmp_path / name)
        assert read(path, 4096) == reference(path)
        assert ("bad", len(GOOD) * 200 + 2, "document has no 'text' field") in read(path, 4096)
    assert per_line == []


def test_reference_is_the_document_reader(tmp_path):
    """The reference reads as iter_documents does: the same texts, the same bad rows."""
    path = tmp_path / "nasty.jsonl"
    path.write_bytes(encode([row for nasty in NASTY + NASTY_BYTES for row in (nasty, GOOD[0])]))
    bad = []
    texts = [d["text"] for d in docfiles.iter_documents(str(path), on_error=lambda _, n, why: bad.append((n, why)))]
    want = reference(str(path))
    assert texts == [e[1] for e in want if e[0] == "text"]
    assert bad == [e[1:] for e in want if e[0] == "bad"]


def test_a_read_error_comes_after_the_texts_before_it(tmp_path, monkeypatch):
    path = tmp_path / "many.jsonl"
    path.write_bytes(encode(GOOD * 400))

    class Failing(io.BytesIO):  # a read error after 10 kB (a network filesystem, a bad disk)
        def read(self, size=-1):
            if self.tell() >= 10_000:
                raise OSError("read failed")
            return super().read(min(size, 10_000 - self.tell()) if size and size > 0 else 10_000 - self.tell())

    monkeypatch.setattr(docfiles, "open_read", lambda _: Failing(path.read_bytes()))
    got = []
    with pytest.raises(OSError, match="read failed"):
        for text in iter_file_texts(str(path), block_size=2000):
            got.append(text)
    complete = path.read_bytes()[:10_000].count(b"\n")
    assert got == [json.loads(g)["text"] for g in (GOOD * 400)[:complete]]


def test_a_block_too_large_for_pyarrow_is_read_line_by_line(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl_arrow, "ARROW_MAX_BLOCK", 100)
    path = tmp_path / "long.jsonl"
    path.write_bytes(encode(GOOD + ['{"text": "' + "x" * 500 + '"}'] + GOOD))
    assert read(str(path), 64) == reference(str(path))


@pytest.mark.parametrize("threads", [1, 3])
def test_text_blocks_read_what_iter_file_texts_reads(tmp_path, threads):
    """iter_jsonl_text_blocks: the same texts and bad rows in the same order (a block's bad rows are
    reported before it comes), whether a block comes as texts or as what on_column made of its Arrow
    column (clean blocks only: no null, valid UTF-8)."""
    seen = []

    def on_column(column):
        column.validate(full=True)
        assert column.null_count == 0
        seen.append(len(column))
        return None if len(seen) % 3 == 0 else column.to_pylist()  # None: the block comes as texts

    for path in nasty_files(tmp_path):
        for size in (64, 4096, docfiles.LINE_BLOCK):
            events: list[tuple] = []
            for block in docfiles.iter_jsonl_text_blocks(
                    path, lambda _, n, why: events.append(("bad", n, why)), on_column, size, parse_threads=threads):
                assert (block.texts is None) != (block.prepared is None)
                events.extend(("text", text) for text in (block.texts if block.prepared is None else block.prepared))
            want = read(path, size)
            for kind in ("text", "bad"):
                assert [e for e in events if e[0] == kind] == [e for e in want if e[0] == kind], (path, size)
    assert sum(seen) > 500  # the Arrow route was taken (and, every third call, refused)
