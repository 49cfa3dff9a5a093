"""Ingest: WARC/WET/JSONL/Parquet readers, bad input, determinism, Common Crawl listing, Dask runner."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import shutil
import threading
from pathlib import Path

import pyarrow.parquet as pq

from curation.io.warc import RawRecord, iter_records
from pipelines.cli import main
from tests.warc_fixtures import good_pages, warc_bytes, write_damaged_set

REAL = Path(__file__).resolve().parent.parent / "sample" / "real"


def read_docs(out: Path) -> list[dict]:
    return pq.read_table(out / "documents").to_pylist()


def read_errors(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / "errors").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line]
    return rows


def test_reader_on_real_common_crawl_files():
    warc = list(iter_records(str(REAL / "whirlwind-CC-MAIN-2024-22.warc.gz")))
    responses = [r for r in warc if isinstance(r, RawRecord)]
    assert [r.url for r in responses] == ["https://an.wikipedia.org/wiki/Escopete"]
    assert responses[0].content_type.startswith("text/html") and len(responses[0].payload) > 50_000
    wet = [r for r in iter_records(str(REAL / "whirlwind-CC-MAIN-2024-22.warc.wet.gz")) if isinstance(r, RawRecord)]
    assert wet[0].record_type == "conversion" and b"Escopete" in wet[0].payload


def test_docs_cli_on_sample_writes_parquet_and_counters(tmp_path, sample_dir, capsys):
    out = tmp_path / "docs"
    assert main(["docs", "--input", str(sample_dir / "warc"), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ingest.records:response" in printed and "extract.out" in printed
    docs = read_docs(out)
    stats = json.loads((out / "stats.json").read_text())["counters"]
    assert stats["ingest"]["records:response"] == 315
    assert stats["extract"]["dropped:not_html"] == 6  # the PNG bodies
    assert len(docs) == stats["extract"]["out"] == stats["extract"]["in"] - sum(
        v for k, v in stats["extract"].items() if k.startswith("dropped:"))
    by_url = {d["url"]: d for d in docs}
    german = [d for d in docs if "/de/" in (d["url"] or "") and d["charset"] == "windows-1252"]
    assert german and all("\ufffd" not in d["text"] for d in german)  # charset found in <meta>
    prose = next(d for url, d in by_url.items() if url.startswith("https://www.") and "/00/" in url)
    assert "Cookie" not in prose["text"] and len(prose["text"]) > 500  # chrome stripped, article kept
    assert all(len(d["id"]) == 32 and d["warc_file"] and d["warc_offset"] is not None for d in docs)


def test_bad_input_is_counted_and_good_records_survive(tmp_path):
    inputs = tmp_path / "in"
    expected = write_damaged_set(inputs)
    out = tmp_path / "out"
    assert main(["docs", "--input", str(inputs), "--output", str(out)]) == 0
    urls = {d["url"] for d in read_docs(out)}
    for name, good in expected.items():
        assert set(good) <= urls, f"good records lost from {name}"
    errors = read_errors(out)
    reasons = {(Path(e["file"]).name, e["reason"].split(":")[0]) for e in errors}
    assert ("truncated_member.warc.gz", "malformed_record") in reasons
    assert ("bad_header.warc", "malformed_record") in reasons
    assert ("truncated_tail.warc.gz", "malformed_record") in reasons
    assert ("wrong_length.warc", "content_length_mismatch") in reasons
    assert ("empty.warc.gz", "empty_file") in reasons
    assert ("mixed_bodies.warc.gz", "payload_too_large") in reasons
    assert any(e["reason"].startswith("binary_body") and e["url"] == "http://mixed.example/binary" for e in errors)
    latin1 = next(d for d in read_docs(out) if d["url"] == "http://mixed.example/latin1")
    assert "Café crème" in latin1["text"]
    stats = json.loads((out / "stats.json").read_text())["counters"]
    assert stats["ingest"]["errors:empty_file"] == 1
    assert stats["extract"]["dropped:error_binary_body"] == 1
    assert stats["extract"]["dropped:not_html"] == 1


def test_two_runs_give_identical_files(tmp_path, sample_dir):
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["docs", "--input", str(sample_dir / "warc"), "--input", str(sample_dir / "real"),
                     "--output", str(out)]) == 0
        files = sorted((out / "documents").iterdir())
        digests.append({f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files})
    assert digests[0] == digests[1] and digests[0]


def test_wet_jsonl_parquet_and_text_readers(tmp_path, sample_dir):
    jsonl = tmp_path / "wiki.jsonl.gz"
    rows = [{"title": f"Article {i}", "text": f"Article {i} is about rivers and mills in the valley."} for i in range(4)]
    jsonl.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode() + b"{not json\n"))
    text = tmp_path / "lines.txt"
    text.write_text("first document line\n\nsecond document line\n")
    parquet_out = tmp_path / "pq"
    assert main(["docs", "--input", str(sample_dir / "wet"), "--output", str(parquet_out)]) == 0
    wet_docs = read_docs(parquet_out)
    assert len(wet_docs) > 50 and all(d["source"] == "commoncrawl" for d in wet_docs)
    out = tmp_path / "out"
    assert main(["docs", "--input", str(jsonl), "--input", str(text), "--input", str(parquet_out),
                 "--output", str(out), "--format", "jsonl.gz"]) == 0
    docs = []
    for path in sorted((out / "documents").glob("*.jsonl.gz")):
        docs += [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    texts = {d["text"] for d in docs}
    assert {r["text"] for r in rows} <= texts and "second document line" in texts
    assert len(docs) == 4 + 2 + len(wet_docs)
    assert any(json.loads(d["metadata"] or "{}").get("title") == "Article 0" for d in docs)  # extra keys kept
    assert [e["reason"] for e in read_errors(out)] and "not json" not in texts


def test_common_crawl_listing_over_local_http(tmp_path):
    root = tmp_path / "mirror"
    crawl = root / "crawl-data" / "CC-MAIN-2099-01"
    (crawl / "segments").mkdir(parents=True)
    names = []
    for i in range(3):
        data, _ = warc_bytes(good_pages(2, f"http://cc{i}.example/"))
        name = f"crawl-data/CC-MAIN-2099-01/segments/file-{i}.warc.gz"
        (root / name).write_bytes(data)
        names.append(name)
    (crawl / "warc.paths.gz").write_bytes(gzip.compress("\n".join(names).encode()))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = lambda *a, **k: Quiet(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = tmp_path / "out"
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        assert main(["docs", "--crawl", "CC-MAIN-2099-01", "--files", "1:3", "--cc-base-url", base,
                     "--output", str(out)]) == 0
        assert main(["docs", "--crawl", "CC-MAIN-2099-01", "--files", "2:9", "--cc-base-url", base,
                     "--output", str(tmp_path / "bad")]) == 2  # out of range: a clear error
    finally:
        server.shutdown()
    urls = sorted(d["url"] for d in read_docs(out))
    assert urls == ["http://cc1.example/0", "http://cc1.example/1", "http://cc2.example/0", "http://cc2.example/1"]


def test_wrong_config_is_a_clear_error(tmp_path, sample_dir, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("ingest:\n  extractor: beautifulsoup\n  max_payload_bytes: -1\n")
    assert main(["docs", "--input", str(sample_dir / "warc"), "--output", str(tmp_path / "o"),
                 "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "ingest.extractor" in err and "ingest.max_payload_bytes" in err
    assert main(["docs", "--input", str(tmp_path / "nothing-*.warc.gz"), "--output", str(tmp_path / "o")]) == 2


def test_trafilatura_extractor_is_selectable(tmp_path):
    data, _ = warc_bytes(good_pages(3))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.warc.gz").write_bytes(data)
    out = tmp_path / "out"
    assert main(["docs", "--input", str(tmp_path / "in"), "--output", str(out), "--extractor", "trafilatura"]) == 0
    docs = read_docs(out)
    assert len(docs) == 3 and all("old mill" in d["text"] for d in docs)


def test_same_pipeline_on_dask_runner(tmp_path, sample_dir, dask_cluster):
    shutil.copytree(sample_dir / "warc", tmp_path / "in")
    local = tmp_path / "local"
    assert main(["docs", "--input", str(tmp_path / "in"), "--output", str(local)]) == 0
    out = tmp_path / "dask"
    assert main(["docs", "--input", str(tmp_path / "in"), "--output", str(out), "--",
                 "--runner=DaskRunner", f"--dask_client_address={dask_cluster.scheduler_address}"]) == 0
    assert (out / "documents").exists()
    local_files = {p.name: p.read_bytes() for p in (local / "documents").iterdir()}
    dask_files = {p.name: p.read_bytes() for p in (out / "documents").iterdir()}
    assert local_files == dask_files  # same bytes on another runner
    # the counts are data computed by the pipeline: the same numbers on every runner
    assert (out / "counts.json").read_bytes() == (local / "counts.json").read_bytes()
    assert json.loads((out / "stats.json").read_text())["counters"]["extract"]["out"] > 0


def _write_lines(path: str, lines: list) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("".join(f"{line}\n" for line in sorted(lines)))


def _gaps_pipeline(out: Path, beam_args: list[str]) -> dict:
    """Each gap of Beam's Dask runner that pipelines/dask_runner.py fills: a tagged output, outputs
    of finish_bundle (BatchElements' last batch, the counts), a side input, two unrelated sinks."""
    import apache_beam as beam

    from pipelines.counters import CountingDoFn, counted
    from pipelines.metrics import run_and_report
    from pipelines.options import make_options

    class Split(CountingDoFn):
        def process(self, n):
            self.counters("split").inc("in")
            yield beam.pvalue.TaggedOutput("odd", n) if n % 2 else n

    pipeline = beam.Pipeline(options=make_options(beam_args))
    split = counted(pipeline | beam.Create(range(50)), "Split", Split(), tags=("odd",))
    total = split["main"] | "Count" >> beam.combiners.Count.Globally()
    (split["main"] | beam.BatchElements(min_batch_size=3, max_batch_size=3)
     | "Scale" >> beam.Map(lambda batch, n: [x * n for x in batch], beam.pvalue.AsSingleton(total))
     | "All" >> beam.combiners.ToList()
     | "WriteEven" >> beam.Map(lambda batches: _write_lines(str(out / "even"), [x for b in batches for x in b])))
    split["odd"] | "Odd" >> beam.combiners.ToList() | "WriteOdd" >> beam.Map(
        lambda odd: _write_lines(str(out / "odd"), odd))
    return run_and_report(pipeline, str(out), echo=False)


def test_dask_runner_gaps_are_filled(tmp_path, dask_cluster):
    local = _gaps_pipeline(tmp_path / "local", [])
    dask = _gaps_pipeline(tmp_path / "dask", ["--runner=DaskRunner",
                                              f"--dask_client_address={dask_cluster.scheduler_address}"])
    assert dask == local == {"split": {"in": 50}}
    for name in ("even", "odd"):
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "local" / name).read_text()
    assert (tmp_path / "dask" / "even").read_text().split() == [str(x * 25) for x in range(0, 50, 2)]
