"""End to end: ``curation docs`` with the C4 filters on the shipped sample WARC files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.io.docfiles import iter_documents
from filters.c4 import END_MARKS, POLICY_PHRASES, normalize_url
from filters.c4_lines import line_key
from filters.c4_spans import span_hashes
from pipelines.cli import main

REPO = Path(__file__).resolve().parent.parent
WARCS = str(REPO / "sample" / "warc" / "*.warc.gz")


def run_docs(tmp_path: Path, name: str, *extra: str):
    out = tmp_path / name
    assert main(["docs", "--input", WARCS, "--output", str(out), *extra]) == 0
    stats = json.loads((out / "stats.json").read_text())["counters"]
    docs = [d for p in sorted(out.rglob("part-*")) for d in iter_documents(str(p))]
    return stats, docs


def funnel_balances(stats: dict, namespace: str) -> None:
    ns = stats[namespace]
    dropped = sum(v for k, v in ns.items() if k.startswith("dropped:"))
    assert ns["in"] == ns["out"] + dropped, namespace


@pytest.fixture(scope="module")
def c4_run(tmp_path_factory):
    return run_docs(tmp_path_factory.mktemp("c4"), "out", "--config", str(REPO / "configs" / "c4.yaml"))


def test_every_c4_rule_reports_and_funnels_balance(c4_run):
    stats, docs = c4_run
    for ns in ("c4_length", "url_dedup", "c4", "c4_line_dedup", "langid", "badwords"):
        funnel_balances(stats, ns)
    assert stats["url_dedup"]["dropped:duplicate_url"] > 0  # the sample has re-crawls of one URL
    c4 = stats["c4"]
    for rule in ("no_end_mark", "too_few_words", "javascript", "policy"):
        assert c4[f"lines_removed:{rule}"] > 0, rule
    assert c4["dropped:lorem_ipsum"] > 0 and c4["dropped:too_few_sentences"] > 0
    assert stats["c4_line_dedup"]["lines_removed:global_duplicate"] > 0  # mirror hosts repeat articles
    assert stats["langid"]["dropped:wrong_language"] > 0 and stats["langid"]["detected:de"] > 0
    assert stats["badwords"]["dropped:badword"] > 0
    # chained: each stage's input is the previous stage's output
    assert stats["url_dedup"]["in"] == stats["c4_length"]["out"]
    assert stats["c4"]["in"] == stats["url_dedup"]["out"]
    assert stats["c4_line_dedup"]["in"] == stats["c4"]["out"]
    assert stats["langid"]["in"] == stats["c4_line_dedup"]["out"]
    assert len(docs) == stats["badwords"]["out"] > 0


def test_surviving_text_obeys_the_rules(c4_run):
    _, docs = c4_run
    seen_lines: set[bytes] = set()
    urls = [normalize_url(d["url"]) for d in docs]
    assert len(urls) == len(set(urls))
    for doc in docs:
        assert doc["language"] == "en" and doc["language_score"] >= 0.99
        lower = doc["text"].lower()
        assert "lorem ipsum" not in lower and "{" not in doc["text"] and "javascript" not in lower
        assert not any(p in lower for p in POLICY_PHRASES)
        for line in doc["text"].split("\n"):
            assert line.endswith(END_MARKS) and not line.endswith("...") and len(line.split()) >= 5
            assert line_key(line) not in seen_lines  # no line twice in the whole output
            seen_lines.add(line_key(line))
    # the book's prose survives, stripped of site chrome
    prose = [d for d in docs if d["url"].startswith("https://www.") and len(d["text"]) > 500]
    assert len(prose) >= 50 and any("Hammersmith" in d["text"] for d in prose)
    assert not any("Accept all cookies" in d["text"] for d in docs)


def test_filters_are_off_without_config(tmp_path):
    stats, docs = run_docs(tmp_path, "plain")
    assert not {"c4", "langid", "url_dedup", "c4_line_dedup", "badwords"} & set(stats)
    assert all(d["language"] is None for d in docs)
    assert len(docs) == stats["extract"]["out"]


def test_c4_gopher_config_and_overrides(tmp_path):
    stats, docs = run_docs(tmp_path, "gopher", "--config", str(REPO / "configs" / "c4-gopher.yaml"),
                           "--set", "filters.langid.detector=fasttext", "--set", "filters.badwords.enabled=false",
                           "--set", "filters.c4_dedup.mode=spans")
    for ns in ("gopher_repetition", "gopher_quality", "c4", "c4_span_dedup", "c4_recheck", "langid"):
        funnel_balances(stats, ns)
    assert "c4_line_dedup" not in stats and stats["c4_span_dedup"]["spans_removed"] > 0
    spans = [h for d in docs for h, _ in span_hashes(d["text"])]
    assert len(spans) == len(set(spans))  # no three-sentence span twice in the whole output
    assert "badwords" not in stats
    assert stats["gopher_quality"]["in"] == stats["gopher_repetition"]["out"]
    assert sum(v for k, v in stats["gopher_quality"].items() if k.startswith("dropped:")) > 0
    assert docs and all(d["language"] == "en" for d in docs)


def test_bad_filter_config_is_a_clear_error(tmp_path, capsys):
    code = main(["docs", "--input", WARCS, "--output", str(tmp_path / "x"),
                 "--set", "filters.enabled=true", "--set", "filters.langid.detector=cld9"])
    assert code == 2
    assert "filters.langid.detector" in capsys.readouterr().err
