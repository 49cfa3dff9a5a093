"""Decontamination: 13-gram overlap with eval sets (JSONL, Parquet, text), drop and cut, report; via ``curation docs``."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.io.docfiles import iter_documents
from filters.decontam import EvalIndex, cut_spans, find_contamination, ngram_hashes, words_with_offsets
from pipelines.cli import main

REPO = Path(__file__).resolve().parent.parent
BOOKS = [json.loads(line) for line in (REPO / "sample" / "reference" / "books.jsonl").read_text().splitlines()]


def words_from(text: str, start_word: int, count: int) -> str:
    words, spans = words_with_offsets(text)
    return text[spans[start_word][0]:spans[start_word + count - 1][1]]


def test_ngrams_ignore_case_and_punctuation():
    a = ngram_hashes(words_with_offsets("The quick, brown fox -- jumped!")[0], 3)
    b = ngram_hashes(words_with_offsets("the QUICK brown fox jumped")[0], 3)
    assert len(a) == 3 and (a == b).all()
    assert len(ngram_hashes(["only", "two"], 3)) == 0


def test_cut_spans_gpt3_rule():
    text = "a" * 1000 + "HIT" + "b" * 150 + "HIT" + "c" * 1000
    pieces = cut_spans(text, [(1000, 1003), (1153, 1156)], 200)  # overlapping windows merge
    assert pieces == ["a" * 800, "c" * 800]
    assert cut_spans("x" * 300 + "HIT" + "y" * 100, [(300, 303)], 200) == []  # what is left is < 200 chars


def test_index_keeps_first_item_and_counts_short(tmp_path):
    passage = words_from(BOOKS[3]["text"], 10, 30)
    evals = tmp_path / "eval.jsonl"
    evals.write_text(json.dumps({"id": "q1", "context": passage, "question": "Who rowed?"}) + "\n"
                     + json.dumps({"id": "q2", "context": passage.upper()}) + "\n"
                     + json.dumps({"id": "q3", "question": "Too short to match."}) + "\n")
    index = EvalIndex.build([str(evals)], n=13)
    assert index.stats == {"eval_files": 1, "eval_items": 3, "eval_items_too_short": 1, "eval_ngrams": 18 + 2}
    assert index.nbytes == 12 * index.stats["eval_ngrams"]
    found = find_contamination(BOOKS[3]["text"], index)
    assert found.ngrams == 18 and found.items == ["q1"]  # q2's n-grams are q1's: the first owner is named
    assert find_contamination(BOOKS[4]["text"], index) is None


@pytest.fixture()
def corpus(tmp_path) -> dict:
    """Pages (book chapters as web pages), and eval sets that quote some of them, in three formats."""
    anthology = "\n".join(b["text"] for b in BOOKS[30:40])
    pages = [{"id": "clean", "url": "https://nowhere.example/ch10", "text": BOOKS[10]["text"]},
             {"id": "quoted", "url": "https://nowhere.example/ch20", "text": BOOKS[20]["text"]},
             {"id": "mcq", "url": "https://nowhere.example/ch21", "text": BOOKS[21]["text"]},
             {"id": "anthology", "url": "https://nowhere.example/all", "text": anthology}]
    (tmp_path / "pages.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pages))
    evals = tmp_path / "evals"
    evals.mkdir()
    quoted = BOOKS[20]["text"]
    (evals / "squad.jsonl").write_text(json.dumps({
        "id": "squad-7", "context": words_from(quoted, 40, 25).replace(",", "").lower(),
        "question": "Where did they go?", "answers": ["to the boat"]}) + "\n")
    mcq = words_from(BOOKS[21]["text"], 5, 16)
    pq.write_table(pa.table({"question": [f"{mcq}?", "What is two plus two?"],
                             "choices": [["yes", "no"], ["3", "4"]]}), evals / "mcq.parquet")
    words, _ = words_with_offsets(anthology)
    lines = [words_from(anthology, start, 14).replace("\n", " ") for start in range(100, len(words) - 20, len(words) // 13)]
    (evals / "cloze.txt").write_text("\n".join(lines) + "\n")
    return {"dir": tmp_path, "cloze_items": len(lines)}


def run_docs(corpus: dict, name: str, *sets: str) -> tuple[dict, dict]:
    out = corpus["dir"] / name
    config = corpus["dir"] / "decon.yaml"
    config.write_text("filters:\n  enabled: true\n  url_dedup: {enabled: false}\n  c4_lines: {enabled: false}\n"
                      "  c4_pages: {enabled: false}\n  c4_dedup: {enabled: false}\n  langid: {enabled: false}\n"
                      "  badwords: {enabled: false}\n"
                      f"  decontaminate: {{enabled: true, eval_sets: [{corpus['dir'] / 'evals'}]}}\n")
    args = ["docs", "--input", str(corpus["dir"] / "pages.jsonl"), "--output", str(out), "--config", str(config)]
    for pair in sets:
        args += ["--set", pair]
    assert main(args) == 0
    stats = json.loads((out / "stats.json").read_text())["counters"]["decontaminate"]
    docs = {d["id"]: d for p in sorted((out / "documents").rglob("part-*")) for d in iter_documents(str(p))}
    return stats, docs


def test_drop_mode_through_curation_docs(corpus):
    report = corpus["dir"] / "report"
    stats, docs = run_docs(corpus, "drop", f"filters.decontaminate.report={report}")
    assert sorted(docs) == ["clean"]
    assert stats["in"] == 4 and stats["dropped:contaminated"] == 3 and stats["docs_hit"] == 3
    assert stats["eval_files"] == 3 and stats["eval_items"] == 3 + corpus["cloze_items"]
    assert stats["eval_items_too_short"] == 1  # "What is two plus two?" has five words
    assert stats["item:squad-7"] == 1 and stats["item:mcq.parquet:1"] == 1 and stats["item:cloze.txt:1"] == 1
    rows = {r["id"]: r for p in report.glob("*.jsonl") for r in map(json.loads, p.read_text().splitlines())}
    assert rows["quoted"]["items"] == ["squad-7"] and rows["quoted"]["ngrams"] == 25 - 13 + 1
    assert rows["anthology"]["items"] == [f"cloze.txt:{i}" for i in range(1, corpus["cloze_items"] + 1)]
    assert {r["action"] for r in rows.values()} == {"dropped"}


def test_cut_mode_removes_spans_or_drops_split_documents(corpus):
    stats, docs = run_docs(corpus, "cut", "filters.decontaminate.mode=cut")
    assert sorted(docs) == ["clean", "mcq", "quoted"]
    assert stats["dropped:too_many_pieces"] == 1 and stats["docs_cut"] == 2
    assert docs["clean"]["text"] == BOOKS[10]["text"]
    quoted = BOOKS[20]["text"]
    _, spans = words_with_offsets(quoted)
    hit = quoted[spans[40][0]:spans[64][1]]
    assert hit not in docs["quoted"]["text"] and len(docs["quoted"]["text"]) <= len(quoted) - len(hit) - 200
    assert docs["quoted"]["text"].endswith(quoted[spans[64][1] + 200:].strip())  # the piece after the cut


def test_needs_eval_sets(tmp_path, capsys):
    code = main(["docs", "--input", str(tmp_path / "x.jsonl"), "--output", str(tmp_path / "o"),
                 "--set", "filters.enabled=true", "--set", "filters.decontaminate.enabled=true"])
    assert code == 2 and "eval_sets" in capsys.readouterr().err
