"""Exact dedup (``dedup.exact``): the key and keep rule alone, then through ``curation dedup`` and
``curation run`` on documents made of real prose (tests/dedup_fixtures.py)."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.document import new_document
from filters.dedup_exact import BestCopy, better, copy_of, normalize_text, text_key
from pipelines.cli import main
from tests.dedup_fixtures import CorpusMaker


def test_key_ignores_unicode_form_and_whitespace_and_case_only_when_asked():
    text = "Caf\u00e9 au lait,\n\n  served   hot.\t"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text and normalize_text(decomposed) == normalize_text(text) == "Café au lait, served hot."
    doc = lambda t, i="a": {"id": i, "text": t}  # noqa: E731
    assert text_key(doc(decomposed)) == text_key(doc(" " + text))
    assert text_key(doc(text.upper())) != text_key(doc(text))
    assert text_key(doc(text.upper()), lowercase=True) == text_key(doc(text), lowercase=True)
    assert text_key(doc(" \n ", "x")) != text_key(doc("", "y"))  # empty texts are not each other's copies


def test_best_copy_is_highest_quality_then_lowest_id():
    copies = [copy_of(d) for d in ({"id": "b", "quality_score": 0.9}, {"id": "a", "quality_score": 0.9},
                                   {"id": "c", "quality_score": None}, {"id": "0", "quality_score": 0.1})]
    best = None
    for c in copies:
        best = better(best, c)
    assert best.copies == 4 and best.keeper == "a"
    assert better(BestCopy(2, copies[2].rank), BestCopy(1, copies[3].rank)).keeper == "0"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Distinct documents plus exact copies: re-spaced, NFD, and one differing only in case."""
    maker = CorpusMaker(seed=21)
    texts = [maker.text(maker.base()) for _ in range(12)]
    texts[0] = "Caf\u00e9 na\u00efve r\u00e9sum\u00e9. " + texts[0]  # composed accents; a copy has them decomposed
    docs = [new_document(t, url=f"https://a.example/{i}", quality_score=0.5) for i, t in enumerate(texts)]
    copies = [
        new_document(texts[0].replace(" ", "  ") + "\n", url="https://b.example/0", quality_score=0.9),  # better
        new_document(unicodedata.normalize("NFD", texts[0]), url="https://c.example/0", quality_score=0.2),
        new_document(texts[1].replace(" ", "\n", 3), url="https://b.example/1", quality_score=0.5),
        new_document(texts[2].upper(), url="https://b.example/2", quality_score=0.99),
    ]
    path = tmp_path_factory.mktemp("exact") / "in" / "docs.jsonl"
    path.parent.mkdir()
    rows = docs + copies
    path.write_text("".join(json.dumps(d) + "\n" for d in rows))
    return {"path": path, "docs": docs, "copies": copies}


def dedup(path: Path, out: Path, *flags: str) -> dict:
    assert main(["dedup", "--input", str(path), "--output", str(out), "--keep-duplicates", *flags]) == 0
    return json.loads((out / "stats.json").read_text())["counters"]


def test_curation_dedup_drops_exact_copies_before_minhash(corpus, tmp_path):
    docs, copies = corpus["docs"], corpus["copies"]
    counts = dedup(corpus["path"], tmp_path / "out")
    exact = counts["dedup.exact"]
    assert exact == {"in": 16, "out": 13, "dropped:exact_duplicate": 3, "groups": 2}
    assert counts["dedup"]["in"] == 13  # MinHash sees only what exact dedup kept
    kept = {d["id"] for d in pq.read_table(tmp_path / "out" / "documents").to_pylist()}
    # the re-spaced copy of doc 0 has the best quality and is kept; doc 1 and its copy tie -> lowest id
    assert copies[0]["id"] in kept and docs[0]["id"] not in kept and copies[1]["id"] not in kept
    assert min(docs[1]["id"], copies[2]["id"]) in kept and max(docs[1]["id"], copies[2]["id"]) not in kept
    dups = {d["id"]: d for d in pq.read_table(tmp_path / "out" / "duplicates").to_pylist()}
    assert dups[docs[0]["id"]]["dedup_cluster"] == copies[0]["id"] and dups[docs[0]["id"]]["dedup_cluster_size"] == 3
    # the upper-case copy is not an exact copy, and MinHash (lower-casing) removes it instead
    assert copies[3]["id"] in kept and docs[2]["id"] not in kept
    assert counts["dedup"]["dropped:near_duplicate"] == 1

    lower = dedup(corpus["path"], tmp_path / "lower", "--set", "exact.lowercase=true")
    assert lower["dedup.exact"]["dropped:exact_duplicate"] == 4 and lower["dedup"]["in"] == 12
    off = dedup(corpus["path"], tmp_path / "off", "--set", "exact.enabled=false")
    assert "dedup.exact" not in off and off["dedup"]["dropped:near_duplicate"] == 4
    assert {d["id"] for d in pq.read_table(tmp_path / "off" / "documents").to_pylist()} == kept


def test_curation_run_shows_exact_dedup_in_funnel_and_report(corpus, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(f"""
sources:
  - name: docs
    kind: documents
    inputs: [{corpus['path']}]
    weight: 1
dedup:
  exact:
    lowercase: true
shards:
  total_tokens: 1000
""")
    out = tmp_path / "run"
    assert main(["run", str(config), "--output", str(out), "--stop-after", "dedup:docs"]) == 0
    funnel = json.loads((out / "run.json").read_text())["funnel"]
    rows = {r["step"]: r for r in funnel}
    assert [r["step"] for r in funnel] == ["dedup.exact", "dedup"]
    assert rows["dedup.exact"]["docs_in"] == 16 and rows["dedup.exact"]["dropped"] == {"exact_duplicate": 4}
    assert rows["dedup"]["docs_in"] == 12 and all(r["balanced"] for r in funnel)
    assert "dedup.exact" in (out / "funnel.txt").read_text() and "dedup.exact" in (out / "report.html").read_text()


def test_a_text_on_many_pages_streams_through_exact_dedup(tmp_path, monkeypatch):
    """300 copies of one text spilled over many runs (a 4 KB spill budget), the best copy in
    the middle of the input: one kept, 299 duplicates pointing at it, the others untouched."""
    from curation.io import sorted_runs
    from pipelines import spill

    monkeypatch.setattr(spill, "DEFAULT_BUDGET_BYTES", 4096)
    monkeypatch.setattr(sorted_runs, "DEFAULT_BLOCK_BYTES", 1024)
    maker = CorpusMaker(seed=5)
    page = maker.text(maker.base())
    copies = [new_document(page, url=f"https://mirror{i}.example/", quality_score=0.9 if i == 150 else 0.5)
              for i in range(300)]
    others = [new_document(maker.text(maker.base()), url=f"https://other.example/{i}") for i in range(20)]
    path = tmp_path / "in" / "docs.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(d) + "\n" for d in copies[:200] + others + copies[200:]))
    counts = dedup(path, tmp_path / "out")
    assert counts["dedup.exact"] == {"in": 320, "out": 21, "dropped:exact_duplicate": 299, "groups": 1}
    kept = {d["id"] for d in pq.read_table(tmp_path / "out" / "documents").to_pylist()}
    assert copies[150]["id"] in kept and not any(c["id"] in kept for i, c in enumerate(copies) if i != 150)
    dups = pq.read_table(tmp_path / "out" / "duplicates").to_pylist()
    assert len(dups) == 299 and {(d["dedup_cluster"], d["dedup_cluster_size"]) for d in dups} == {(copies[150]["id"], 300)}
