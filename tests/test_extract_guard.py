"""The per-page extraction time limit (issue 18 item 3): a runaway page costs one page, not a worker."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from filters.extract import ExtractionError, HtmlToDocument
from filters.extract_guard import TimeLimitedExtractor
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
