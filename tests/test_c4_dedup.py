"""C4 dedup (both modes) and URL dedup: pure logic, then across input files through Beam."""
from __future__ import annotations

import json

import apache_beam as beam
import pytest

from curation.io.docfiles import iter_documents
from curation.io.paths import expand
from filters.c4 import normalize_url, select_newest
from filters.c4_lines import LineDedup, line_key, md5, remove_duplicate_lines
from filters.c4_spans import SpanDedup, drop_spans, remove_sentences, span_hashes
from filters.config import FiltersConfig
from pipelines.c4_dedup import _FirstVote
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


def test_first_vote_keeps_one_vote_per_key_whatever_the_count():
    combine = _FirstVote()
    acc = combine.create_accumulator()
    for vote in [(b"\x02", "b", 0), (b"\x01", "z", 3), (b"\x01", "a", 9), (b"\x03", "c", 0)]:
        acc = combine.add_input(acc, vote)
    other = combine.add_input(combine.create_accumulator(), (b"\x01", "a", 1))
    merged = combine.merge_accumulators([acc, other, combine.create_accumulator()])
    assert combine.extract_output(merged) == ((b"\x01", "a", 1), 5)  # smallest vote, number of votes


def test_span_votes_lose_all_but_lowest_doc_and_position():
    unit = SpanDedup(3, None)
    text = "\n".join(S[:4])
    votes = list(unit.votes({"id": "a", "text": text}))
    assert [(p, prio) for _, prio, p in votes] == [(0, b""), (1, b"")]
    won = {(votes[1][0], 1)}  # this page won only its second span
    assert unit.apply({"id": "a", "text": text}, won)[0] == S[3]


def test_line_dedup_keeps_winning_lines_once_then_checks_the_page():
    text = "\n".join([S[0], S[1], S[0].upper(), S[2], S[3]])
    won = {line_key(S[0]), line_key(S[2]), line_key(S[3])}
    new, rule, counts = remove_duplicate_lines(text, won, 3)
    assert rule is None and new == "\n".join([S[0], S[2], S[3]])  # S1 lost, S0 repeated (any case) kept once
    assert counts == {"lines_removed:global_duplicate": 1, "lines_removed:local_duplicate": 1, "pages_modified": 1}
    assert remove_duplicate_lines(text, {line_key(S[0])}, 3)[1] == "too_few_sentences"
    assert remove_duplicate_lines(text, set(), 3)[1] == "empty"
    assert remove_duplicate_lines(text, set(), None)[1] == "empty"
    # the sentence minimum counts Punkt sentences of the joined text: a quote-ended line runs on
    quoted = 'She said "I will stay"\n' + S[0] + "\n" + S[1]
    assert remove_duplicate_lines(quoted, {line_key(x) for x in quoted.split("\n")}, 3)[1] == "too_few_sentences"


def test_line_votes_rank_pages_by_md5_of_url():
    doc = {"id": "p", "url": "http://x.org/", "text": S[0] + "\n\n" + S[0].lower() + "\n" + S[1]}
    votes = list(LineDedup().votes(doc))
    assert votes == [(line_key(S[0]), md5("http://x.org/"), 0), (line_key(S[1]), md5("http://x.org/"), 0)]
    assert md5("abc").hex() == "900150983cd24fb0d6963f7d28e17f72"


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
    stats = run_and_report(pipeline, str(out), echo=False)  # writes the completion marker the read checks
    result = {}
    for path in expand(str(out)):
        for doc in iter_documents(path):
            result[doc["id"]] = doc
    return result, stats


ONLY_DEDUP = ["enabled=true", "url_dedup.enabled=false", "c4_lines.enabled=false", "c4_pages.enabled=false",
              "langid.enabled=false", "badwords.enabled=false"]
ONLY_SPANS = ONLY_DEDUP + ["c4_dedup.mode=spans"]
MULTI_PROCESS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


@pytest.mark.parametrize("beam_args", [None, MULTI_PROCESS], ids=["in_memory", "multi_processing"])
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
    overrides = ["enabled=true", "c4_dedup.enabled=false", "c4_lines.enabled=false", "c4_pages.enabled=false",
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
    overrides = ["enabled=true", "c4_dedup.enabled=false", "c4_lines.enabled=false", "c4_pages.max_page_chars=300",
                 "c4_pages.min_num_sentences=null", "langid.enabled=false", "badwords.enabled=false"]
    docs, stats = run_filters(tmp_path, files, overrides)
    assert sorted(docs) == ["old"]
    assert stats["c4_length"]["dropped:too_long"] == 1 and stats["url_dedup"]["in"] == 1


@pytest.mark.parametrize("beam_args", [None, MULTI_PROCESS], ids=["in_memory", "multi_processing"])
def test_line_dedup_groups_across_input_files(tmp_path, beam_args):
    urls = ["http://a/", "http://b/", "http://c/", "http://d/"]
    assert sorted(urls, key=md5) == ["http://b/", "http://a/", "http://c/", "http://d/"]  # who wins a line
    files = [
        write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "url": "http://a/", "text": "\n".join(S[:5])}]),
        write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "url": "http://b/",
                                            "text": "\n".join([S[0].upper(), S[5], S[6], S[5], S[7]])}]),
        write_jsonl(tmp_path / "c.jsonl", [{"id": "c", "url": "http://c/", "text": "\n".join([S[1], S[2], S[8]])}]),
        write_jsonl(tmp_path / "d.jsonl", [{"id": "d", "url": "http://d/", "text": "\n".join(S[7:10])}]),
    ]
    docs, stats = run_filters(tmp_path, files, ONLY_DEDUP, beam_args)
    assert docs["b"]["text"] == "\n".join([S[0].upper(), S[5], S[6], S[7]])  # wins every line; S5 kept once
    assert docs["a"]["text"] == "\n".join(S[1:5])  # lost S0 to b (matched case-insensitively)
    assert "c" not in docs  # lost S1, S2 to a: S8 alone, too few sentences
    assert "d" not in docs  # lost S7 to b, S8 to c
    ns = stats["c4_line_dedup"]
    assert ns["in"] == 4 and ns["out"] == 2 and ns["dropped:too_few_sentences"] == 2
    assert ns["duplicated_lines"] == 5 and ns["lines_removed:local_duplicate"] == 1
    assert ns["lines_removed:global_duplicate"] == 5 and ns["pages_modified"] == 4
