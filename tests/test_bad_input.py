"""Issue 14, classes 1-3: every readable record is read, text decoded as browsers do, bad rows counted.

Inputs come from tests/bad_input_fixtures.py. One ``curation docs`` run reads all crawl files and one
reads all document files (a pipeline per case would cost a second each); every case is then its own
test: its good records are all there, its bad ones are each counted in errors/ with file, offset and
reason, and nothing else from that file is there.
"""
from __future__ import annotations

import gzip
import io
import json
import random
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.io.docfiles import iter_texts
from curation.io.gunzip import GzipDamage, gunzip_chunks
from curation.io.warc import RawRecord, iter_records
from pipelines.cli import main
from tests.bad_input_fixtures import (
    Case,
    case_arc,
    case_charsets,
    crawl_file_cases,
    document_file_cases,
)


def read_output(out: Path) -> tuple[list[dict], list[dict]]:
    docs = pq.read_table(out / "documents").to_pylist() if (out / "documents").exists() else []
    errors = []
    for path in sorted((out / "errors").glob("*.jsonl")):
        errors += [json.loads(line) for line in path.read_text().splitlines() if line]
    return docs, errors


def run_docs(inputs: Path, out: Path) -> tuple[int, list[dict], list[dict]]:
    code = main(["docs", "--input", str(inputs), "--output", str(out)])
    return (code, *read_output(out))


def errors_of(case: Case, errors: list[dict]) -> list[dict]:
    return [e for e in errors if Path(e["file"]).name == case.name]


def check_errors(case: Case, errors: list[dict]) -> None:
    mine = errors_of(case, errors)
    assert len(mine) == len(case.errors), f"{case.name}: errors {[e['reason'] for e in mine]}, want {case.errors}"
    for want in case.errors:
        assert any(want in e["reason"] for e in mine), f"{case.name}: no error {want!r} in {mine}"
    for error in mine:
        assert isinstance(error["offset"], int) and error["offset"] >= 0 and "\n" not in error["reason"]


def check_crawl_case(case: Case, docs: list[dict], errors: list[dict]) -> None:
    mine = {d["url"]: d for d in docs if Path(d["warc_file"] or "").name == case.name}
    assert sorted(mine) == sorted(case.good), f"{case.name}: read {sorted(mine)}"
    for url, want in case.text_has.items():
        assert want in mine[url]["text"], f"{url}: {mine[url]['text'][:200]!r} (charset {mine[url]['charset']})"
        assert "\ufffd" not in mine[url]["text"]
    assert not any("WARC/1.0" in d["text"] or "WARC-Type" in d["text"] for d in mine.values())
    check_errors(case, errors)


def check_document_case(case: Case, docs: list[dict], errors: list[dict]) -> None:
    texts = {d["text"] for d in docs}
    missing = [t for t in case.good if t not in texts]
    assert not missing, f"{case.name}: {len(missing)} good rows lost, first {missing[:1]}"
    check_errors(case, errors)


@pytest.fixture(scope="module")
def crawl_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("crawl")
    cases = crawl_file_cases(root / "in") + [case_charsets(root / "in")]
    code, docs, errors = run_docs(root / "in", root / "out")
    assert code == 0
    return {c.name: c for c in cases}, docs, errors


@pytest.fixture(scope="module")
def document_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("docfiles")
    cases = document_file_cases(root / "in")
    code, docs, errors = run_docs(root / "in", root / "out")
    assert code == 0
    return {c.name: c for c in cases}, docs, errors, root / "in"


@pytest.mark.parametrize("name", [
    "crawl-2008.arc", "crawl-2008.arc.gz", "one-stream.warc.gz", "clueweb09.warc.gz", "no-http-headers.warc",
    "length-long.warc", "length-short.warc", "length-long.warc.gz", "length-short.warc.gz", "bit-rot.warc",
    "binary-as-html.warc.gz", "charsets.warc.gz"])
def test_crawl_file(crawl_run, name):
    cases, docs, errors = crawl_run
    check_crawl_case(cases[name], docs, errors)


@pytest.mark.parametrize("name", [
    "rows.jsonl", "bom.jsonl", "truncated.jsonl.gz", "zero-filled.jsonl.gz", "good.parquet", "truncated.parquet",
    "not-really.parquet", "int-ids.parquet", "dump[1].jsonl"])
def test_document_file(document_run, name):
    cases, docs, errors, _ = document_run
    check_document_case(cases[name], docs, errors)


def test_text_readers_count_the_same_bad_rows(document_run):
    """Tokenizer and classifier training read texts only: the same good texts, the same bad rows."""
    cases, docs, errors, inputs = document_run
    bad: list[tuple[str, int, str]] = []
    texts = list(iter_texts(sorted(str(p) for p in inputs.iterdir()),
                            on_error=lambda f, n, r: bad.append((Path(f).name, n, r))))
    assert set(texts) == {d["text"] for d in docs}
    assert sorted((f, r.split(":")[0]) for f, _, r in bad) == sorted(
        (Path(e["file"]).name, e["reason"].split(":")[0]) for e in errors)


def test_bracket_name_as_input_is_a_file(tmp_path):
    inputs = tmp_path / "in"
    case = document_file_cases(inputs)[-1]
    code, docs, _ = run_docs(inputs / case.name, tmp_path / "out")
    assert code == 0 and [d["text"] for d in docs] == case.good


def test_gunzip_keeps_every_byte_before_damage_and_nothing_after():
    """Members, padding, cuts and zero-filled holes at random places: output is always a true prefix."""
    rng = random.Random(7)
    raw = b"".join(rng.randbytes(40) + b"line %d of the file\n" % i for i in range(6000))
    members = [gzip.compress(raw[i:i + 50_000], mtime=0) for i in range(0, len(raw), 50_000)]
    data = members[0] + bytes(100) + b"".join(members[1:]) + bytes(30)  # zero padding is legal
    for chunk in (7, 1000, 1 << 16):
        assert b"".join(gunzip_chunks(io.BytesIO(data), chunk)) == raw
    for _ in range(40):
        start = rng.randrange(20, len(data) - 5000)
        for damaged in (data[:start], data[:start] + bytes(4096) + data[start + 4096:]):
            got = bytearray()
            with pytest.raises(GzipDamage):
                for block in gunzip_chunks(io.BytesIO(damaged), rng.choice((1000, 1 << 16))):
                    got += block
            assert raw.startswith(got)


def test_arc_record_ids_are_stable():
    """warcio's ARC conversion invents random record ids; documents need the same id on every run."""
    with tempfile.TemporaryDirectory() as tmp:
        case = case_arc(Path(tmp), gzipped=True)
        runs = [[(r.url, r.record_id) for r in iter_records(str(Path(tmp) / case.name)) if isinstance(r, RawRecord)]
                for _ in range(2)]
    assert runs[0] == runs[1] and [url for url, _ in runs[0]] == case.good
