"""C4 three-sentence span dedup and URL dedup: pure logic, then across input files through Beam."""
from __future__ import annotations

import json

import apache_beam as beam
import pytest

from curation.io.docfiles import iter_documents
from curation.io.paths import expand
from filters.c4 import normalize_url, select_newest
from filters.c4_spans import drop_spans, losing_occurrences, remove_sentences, span_hashes
from filters.config import FiltersConfig
from pipelines.filtering import FilterDocuments
from pipelines.metrics import run_and_report
from pipelines.options import make_options
from pipelines.read import ReadDocuments
from pipelines.write import WriteDocuments

S = [f"Sentence number {w} talks about the {w} topic at some length." for w in
     ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")]


def test_span_hashes_ignore_case_and_spacing():
    a = span_hashes(" ".join(S[:3]))
    b = span_hashes(S[0].upper() + "\n" + S[1] + "   " + S[2])  # spans may cross lines
    assert len(a) == 1 and a[0][0] == b[0][0]
    assert span_hashes(" ".join(S[:2])) == []  # fewer sentences than a span
    assert [p for _, p in span_hashes(" ".join(S[:5]))] == [0, 1, 2]


def test_losers_are_all_but_lowest_doc_and_position():
    assert losing_occurrences([("b", 0), ("a", 4), ("a", 2), ("a", 2)]) == [("a", 4), ("b", 0)]
    assert losing_occurrences([("z", 0)]) == []


def test_drop_spans_keeps_lines_and_rechecks_page():
    text = f"{S[0]} {S[1]}\n{S[2]}\n{S[3]} {S[4]} {S[5]}"
    new, rule, counts = drop_spans(text, [0], 3, 3)
    assert rule is None and new == f"{S[3]} {S[4]} {S[5]}"
    assert counts == {"spans_removed": 1, "sentences_removed": 3, "pages_modified": 1}
    assert drop_spans(text, [0, 3], 3, 3)[1] == "empty"
    assert drop_spans(text, [2], 3, 3)[0] == f"{S[0]} {S[1]}\n{S[5]}"
    assert drop_spans(" ".join(S[:3]), [0], 3, 3)[1] == "empty"
    assert remove_sentences(text, set()) == text


def test_url_normalisation_and_newest():
    assert normalize_url("https://www.example.com/a/?utm_source=x") == "example.com/a"
    docs = [{"id": "b", "crawl_date": "2024-05-01T00:00:00Z"}, {"id": "a", "crawl_date": "2024-05-01T00:00:00Z"},
            {"id": "c", "crawl_date": "2023-01-01T00:00:00Z"}, {"id": "0", "crawl_date": None}]
    assert select_newest(docs)["id"] == "a"  # latest date, tie broken by lowest id


def write_jsonl(path, docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return str(path)


def run_filters(tmp_path, files, overrides, beam_args=None):
    from curation.config import load_config

    config = load_config(FiltersConfig, None, overrides)
    out = tmp_path / "out"
    pipeline = beam.Pipeline(options=make_options(beam_args))
    docs = pipeline | ReadDocuments(files)
    docs.docs | FilterDocuments(config) | WriteDocuments(str(out), "jsonl")
    stats = run_and_report(pipeline, echo=False)
    result = {}
    for path in expand(str(out)):
        for doc in iter_documents(path):
            result[doc["id"]] = doc
    return result, stats


ONLY_SPANS = ["enabled=true", "url_dedup.enabled=false", "c4_lines.enabled=false", "c4_pages.enabled=false",
              "langid.enabled=false", "badwords.enabled=false"]


@pytest.mark.parametrize("beam_args", [None, ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]],
                         ids=["in_memory", "multi_processing"])
def test_span_dedup_groups_across_input_files(tmp_path, beam_args):
    files = [
        write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "url": "http://a/", "text": "\n".join(S[:5])}]),
        write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "url": "http://b/",
                                            "text": S[0].lower() + " " + S[1] + "\n" + S[2] + "\n" + "\n".join(S[5:8])}]),
        write_jsonl(tmp_path / "c.jsonl", [{"id": "c", "url": "http://c/", "text": "\n".join(S[2:5] + [S[9]])}]),
        write_jsonl(tmp_path / "d.jsonl", [{"id": "d", "url": "http://d/", "text": "\n".join(S[7:10])}]),
    ]
    docs, stats = run_filters(tmp_path, files, ONLY_SPANS, beam_args)
    assert docs["a"]["text"] == "\n".join(S[:5])  # lowest id keeps every span
    assert docs["b"]["text"] == "\n".join(S[5:8])  # lost S0-S2 (matched case-insensitively)
    assert "c" not in docs  # lost S2-S4, one sentence left: too few
    assert docs["d"]["text"] == "\n".join(S[7:10])  # shares only two sentences with b: no span
    ns = stats["c4_span_dedup"]
    assert ns["in"] == 4 and ns["out"] == 3 and ns["dropped:too_few_sentences"] == 1
    assert ns["pages_modified"] == 2 and ns["sentences_removed"] == 6


def test_url_dedup_keeps_latest_crawl_across_files(tmp_path):
    text = "\n".join(S[:3])
    files = [
        write_jsonl(tmp_path / "old.jsonl", [{"id": "x1", "url": "http://www.site.org/page", "text": text,
                                              "crawl_date": "2023-01-01T00:00:00Z"}]),
        write_jsonl(tmp_path / "new.jsonl", [{"id": "x2", "url": "https://site.org/page/", "text": text + " New.",
                                              "crawl_date": "2024-06-01T00:00:00Z"},
                                             {"id": "n", "text": "\n".join(S[3:6])}]),
    ]
    overrides = ["enabled=true", "c4_span_dedup.enabled=false", "c4_lines.enabled=false", "c4_pages.enabled=false",
                 "langid.enabled=false", "badwords.enabled=false"]
    docs, stats = run_filters(tmp_path, files, overrides)
    assert sorted(docs) == ["n", "x2"]
    ns = stats["url_dedup"]
    assert ns["in"] == 3 and ns["out"] == 2 and ns["dropped:duplicate_url"] == 1 and ns["no_url"] == 1


def test_length_limit_runs_before_url_dedup(tmp_path):
    """TFDS order: a too-long newest capture is dropped first, so the older capture of the URL stays."""
    text = "\n".join(S[:3])
    files = [write_jsonl(tmp_path / "caps.jsonl", [
        {"id": "old", "url": "http://site.org/p", "text": text, "crawl_date": "2023-01-01T00:00:00Z"},
        {"id": "new", "url": "http://site.org/p", "text": text + " " + "x" * 300, "crawl_date": "2024-01-01T00:00:00Z"}])]
    overrides = ["enabled=true", "c4_span_dedup.enabled=false", "c4_lines.enabled=false", "c4_pages.max_page_chars=300",
                 "c4_pages.min_num_sentences=null", "langid.enabled=false", "badwords.enabled=false"]
    docs, stats = run_filters(tmp_path, files, overrides)
    assert sorted(docs) == ["old"]
    assert stats["c4_length"]["dropped:too_long"] == 1 and stats["url_dedup"]["in"] == 1
