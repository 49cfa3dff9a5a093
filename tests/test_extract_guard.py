"""The per-page extraction time limit (issue 18 item 3): a runaway page costs one page, not a worker."""
from __future__ import annotations

import json
import time

import pyarrow.parquet as pq
import pytest

from filters.extract import ExtractionError, HtmlToDocument
from filters.extract_guard import TimedOut, TimeLimitedExtractor
from pipelines.cli import main
from tests.warc_fixtures import good_pages, warc_bytes

# resiliparse walks deeply nested elements in quadratic time: 20,000 nested <div>s took 33 s
# (2 cores, unloaded); trafilatura gives up on the tree at once.
RUNAWAY = ("<html><body>" + "<div>" * 20000 + "text here " * 10 + "</div>" * 20000 + "</body></html>").encode()


def test_runaway_page_is_counted_and_the_job_goes_on(tmp_path):
    pages = good_pages(2) + [("http://runaway.example/", RUNAWAY, "text/html")] + good_pages(2, "http://after.example/")
    data, _ = warc_bytes(pages)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.warc.gz").write_bytes(data)
    out = tmp_path / "out"
    assert main(["docs", "--input", str(tmp_path / "in"), "--output", str(out),
                 "--set", "ingest.extract_timeout=1.5"]) == 0
    urls = sorted(d["url"] for d in pq.read_table(out / "documents").to_pylist())
    assert urls == ["http://after.example/0", "http://after.example/1", "http://good.example/0", "http://good.example/1"]
    extract = json.loads((out / "stats.json").read_text())["counters"]["extract"]
    assert extract["dropped:error_extract_timeout"] == 1 and extract["out"] == 4
    errors = [json.loads(line) for path in (out / "errors").glob("*.jsonl") for line in path.read_text().splitlines()]
    assert [(e["url"], e["reason"].split(":")[0]) for e in errors] == [("http://runaway.example/", "extract_timeout")]


def test_guarded_extraction_gives_the_in_process_text():
    html = good_pages(1)[0][1].decode()
    for extractor in ("resiliparse", "trafilatura"):
        guarded, plain = HtmlToDocument(extractor), HtmlToDocument(extractor, time_limit=None)
        assert guarded.extract(html) == plain.extract(html) != ""
        guarded.close()
    guard = TimeLimitedExtractor(5.0, {"extractor": "no-such-extractor"})
    with pytest.raises(Exception, match="unknown extractor"):
        guard("<p>x</p>")
    with pytest.raises(Exception, match="unknown extractor"):  # the same child answers again
        guard("<p>y</p>")
    guard.close()


def test_timeout_restarts_the_child():
    make = HtmlToDocument("resiliparse", time_limit=0.5)
    with pytest.raises(ExtractionError, match="extract_timeout"):
        make.extract(RUNAWAY.decode())
    assert "old mill" in make.extract(good_pages(1)[0][1].decode())  # a fresh child takes the next page
    make.close()


def test_pages_overlapping_the_next_record_give_what_one_at_a_time_gives(tmp_path):
    """`curation docs` hands a page to the child and reads on (pipelines/ingest.py): the runaway
    page last in its file (its timeout comes from finish_bundle), a binary body and an empty page
    between good ones; documents, counts and errors as HtmlToDocument called on each record."""
    pages = (good_pages(3) + [("http://png.example/", b"\x89PNG\r\n\x1a\n" + bytes(200), "text/html"),
                              ("http://empty.example/", b"<html><body></body></html>", "text/html")]
             + good_pages(2, "http://after.example/") + [("http://runaway.example/", RUNAWAY, "text/html")])
    data, _ = warc_bytes(pages)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.warc.gz").write_bytes(data)
    (tmp_path / "in" / "b.warc.gz").write_bytes(warc_bytes(good_pages(2, "http://b.example/"))[0])
    out = tmp_path / "out"
    assert main(["docs", "--input", str(tmp_path / "in"), "--output", str(out),
                 "--set", "ingest.extract_timeout=1.5"]) == 0

    from curation.io.warc import RawRecord, iter_records
    make = HtmlToDocument("resiliparse", time_limit=1.5)
    expected, reasons = [], []
    for path in sorted((tmp_path / "in").glob("*.warc.gz")):
        for record in iter_records(str(path)):
            if isinstance(record, RawRecord) and make.wants(record):
                try:
                    expected.append(make(record))
                except ExtractionError as exc:
                    reasons.append(exc.reason)
    make.close()
    got = pq.read_table(out / "documents").to_pylist()
    key = ("url", "text", "id", "warc_offset", "charset")
    assert sorted(tuple(d[k] for k in key) for d in got) == sorted(tuple(d[k] for k in key) for d in expected)
    assert len(got) == 7 and sorted(reasons) == ["binary_body", "empty_text", "extract_timeout"]
    extract = json.loads((out / "stats.json").read_text())["counters"]["extract"]
    assert (extract["in"], extract["out"], extract["dropped:error_extract_timeout"], extract["dropped:error_binary_body"],
            extract["dropped:empty_text"]) == (10, 7, 1, 1, 1)
    errors = [json.loads(line) for path in (out / "errors").glob("*.jsonl") for line in path.read_text().splitlines()]
    assert sorted(e["url"] for e in errors) == ["http://png.example/", "http://runaway.example/"]


def test_time_limit_counts_from_the_hand_over():
    guard = TimeLimitedExtractor(0.5, {"extractor": "resiliparse"})
    guard.send(RUNAWAY.decode())
    with pytest.raises(RuntimeError, match="one page at a time"):
        guard.send("<p>second</p>")
    time.sleep(0.6)  # the caller was busy past the limit: no more waiting
    started = time.monotonic()
    with pytest.raises(TimedOut):
        guard.receive()
    assert time.monotonic() - started < 0.3
    guard.send(good_pages(1)[0][1].decode())  # a fresh child
    assert "old mill" in guard.receive()
    guard.close()
