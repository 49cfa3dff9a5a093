"""The quality classifier end to end: train and eval through the CLI, score + select in Beam.

Positive text is real prose (the shipped sample of *News from Nowhere*), negative text
is generated web junk (menus, boilerplate, keyword stuffing, ads, listings, comment
spam, shuffled "spun" prose); see ``tests/quality_corpus.py``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from curation.document import new_document
from curation.io.docfiles import write_documents
from filters.quality.classifier import QualityModel, pareto_keep, pareto_keep_probability
from pipelines.cli import main
from tests import quality_corpus as corpus


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """Train and eval corpora (disjoint passages, different spam seeds) and a scoring input."""
    root = tmp_path_factory.mktemp("quality")
    prose = corpus.prose_passages(1, 3, seed=0)
    train_prose, eval_prose = prose[0::2], prose[1::2]
    paths = {"root": root}
    paths["pos"] = corpus.write_lines(root / "pos.txt", train_prose)
    neg_texts = corpus.spam_documents(len(train_prose), seed=1, prose=train_prose)
    neg_docs = [new_document(t, source="web") for t in neg_texts]
    paths["neg"] = root / "neg.jsonl"
    write_documents(str(paths["neg"]), neg_docs)
    paths["eval_pos"] = corpus.write_lines(root / "eval_pos.txt", eval_prose)
    eval_neg = corpus.spam_documents(len(eval_prose), seed=2, prose=eval_prose)
    paths["eval_neg"] = corpus.write_lines(root / "eval_neg.txt", eval_neg)
    mixed = [new_document(t, source="books") for t in eval_prose]
    web = corpus.spam_documents(2 * len(eval_prose), seed=3, prose=eval_prose)
    mixed += [new_document(t, source="web") for t in web]
    paths["docs"] = root / "docs.parquet"
    write_documents(str(paths["docs"]), mixed)
    paths["model"] = root / "model" / "quality.bin"
    assert main(["quality", "train", "--positive", str(paths["pos"]), "--negative", str(paths["neg"]),
                 "--output", str(paths["model"]), "--bucket", "50000", "--seed", "3"]) == 0
    return paths


def _kept(out_dir: Path) -> list[dict]:
    table = pq.read_table(str(out_dir / "documents"))
    return table.to_pylist()


def _stats(out_dir: Path) -> dict:
    return json.loads((out_dir / "stats.json").read_text())["counters"]


def _all_scores(data) -> dict[str, float]:
    docs = pq.read_table(str(data["docs"])).to_pylist()
    scores = QualityModel(str(data["model"])).predict([d["text"] for d in docs])
    return {d["id"]: float(s) for d, s in zip(docs, scores)}


def test_train_writes_model_and_card(data):
    card = json.loads((data["model"].parent / "quality.card.json").read_text())
    sizes = card["sizes"]
    assert sizes["positive_train"] == sizes["negative_train"] > 50  # balanced
    assert sizes["positive_heldout"] >= 5
    assert card["params"]["fasttext"]["wordNgrams"] == 2 and card["params"]["seed"] == 3
    assert card["data"]["negative"]["files"] == [str(data["neg"])]
    assert card["heldout_metrics"]["roc_auc"] > 0.85
    assert card["model_bytes"] == os.path.getsize(data["model"])


def test_training_is_deterministic(data, tmp_path):
    again = tmp_path / "again.bin"
    assert main(["quality", "train", "--positive", str(data["pos"]), "--negative", str(data["neg"]),
                 "--output", str(again), "--bucket", "50000", "--seed", "3"]) == 0
    assert again.read_bytes() == data["model"].read_bytes()


def test_eval_reports_auc_well_above_chance(data, tmp_path, capsys):
    report = tmp_path / "report"
    assert main(["quality", "eval", "--model", str(data["model"]), "--positive", str(data["eval_pos"]),
                 "--negative", str(data["eval_neg"]), "--report", str(report)]) == 0
    metrics = json.loads((report / "report.json").read_text())["metrics"]
    assert metrics["roc_auc"] > 0.95
    assert metrics["f1"] > 0.85 and metrics["precision"] > 0.8 and metrics["recall"] > 0.8
    assert json.loads(capsys.readouterr().out.split("report:")[0])["roc_auc"] == metrics["roc_auc"]
    assert (report / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "histogram.png" in (report / "report.html").read_text()
    hist = json.loads((report / "report.json").read_text())["histogram"]
    assert sum(hist["positive"]) == metrics["positives"] and sum(hist["negative"]) == metrics["negatives"]


def test_bad_inputs_give_clear_errors(data, tmp_path, capsys):
    def run(*args):
        code = main(list(args))
        return code, capsys.readouterr().err

    code, err = run("quality", "eval", "--model", str(tmp_path / "nope.bin"), "--positive", str(data["eval_pos"]),
                    "--negative", str(data["eval_neg"]))
    assert code == 2 and "does not exist" in err
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(os.urandom(4096))
    code, err = run("quality", "eval", "--model", str(corrupt), "--positive", str(data["eval_pos"]),
                    "--negative", str(data["eval_neg"]))
    assert code == 2 and "not a fastText model" in err
    truncated = tmp_path / "truncated.bin"  # fastText itself would load it silently
    truncated.write_bytes(data["model"].read_bytes()[:100_000])
    (tmp_path / "truncated.card.json").write_text((data["model"].parent / "quality.card.json").read_text())
    code, err = run("quality", "eval", "--model", str(truncated), "--positive", str(data["eval_pos"]),
                    "--negative", str(data["eval_neg"]))
    assert code == 2 and "truncated or replaced" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    code, err = run("quality", "train", "--positive", str(data["pos"]), "--negative", str(empty),
                    "--output", str(tmp_path / "m.bin"))
    assert code == 2 and "negative class is empty" in err
    few = corpus.write_lines(tmp_path / "few.txt", corpus.prose_passages()[:5])
    code, err = run("quality", "train", "--positive", str(few), "--negative", str(data["neg"]),
                    "--output", str(tmp_path / "m.bin"))
    assert code == 2 and "only 5 document(s)" in err
    code, err = run("quality", "score", "--model", str(corrupt), "--input", str(data["docs"]),
                    "--output", str(tmp_path / "out"))
    assert code == 2 and "not a fastText model" in err


def test_score_threshold_mode(data, tmp_path):
    out = tmp_path / "threshold"
    assert main(["quality", "score", "--model", str(data["model"]), "--input", str(data["docs"]),
                 "--output", str(out), "--mode", "threshold", "--threshold", "0.6"]) == 0
    scores = _all_scores(data)
    kept = _kept(out)
    assert {d["id"] for d in kept} == {i for i, s in scores.items() if s >= 0.6}
    for doc in kept:
        assert doc["quality_score"] == pytest.approx(scores[doc["id"]], abs=1e-6)
    stats = _stats(out)
    score, select = stats["quality_score"], stats["quality_select"]
    assert score["scored"] == score["in"] == len(scores)
    assert sum(v for k, v in score.items() if k.startswith("band:")) == len(scores)
    assert select["in"] == select["out"] + select["dropped:threshold"]
    assert select["kept:threshold"] == select["out"] == len(kept)
    # Most of the prose survives, almost none of the junk.
    by_source = {}
    for doc in kept:
        by_source[doc["source"]] = by_source.get(doc["source"], 0) + 1
    assert by_source.get("books", 0) > 0.8 * score["in"] / 3 and by_source.get("web", 0) < 0.1 * score["in"]


def test_score_top_fraction_mode(data, tmp_path):
    out = tmp_path / "top"
    assert main(["quality", "score", "--model", str(data["model"]), "--input", str(data["docs"]),
                 "--output", str(out), "--mode", "top_fraction", "--fraction", "0.25"]) == 0
    scores = _all_scores(data)
    kept_ids = {d["id"] for d in _kept(out)}
    assert abs(len(kept_ids) / len(scores) - 0.25) < 0.03
    lowest_kept = min(scores[i] for i in kept_ids)
    assert all(s < lowest_kept + 1e-9 for i, s in scores.items() if i not in kept_ids)  # the best ones
    select = _stats(out)["quality_select"]
    assert select["in"] == select["out"] + select["dropped:top_fraction"] == len(scores)


def test_score_pareto_mode_is_reproducible_and_matches_closed_form(data, tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["quality", "score", "--model", str(data["model"]), "--input", str(data["docs"]),
                     "--output", str(out), "--mode", "pareto", "--seed", "11"]) == 0
        runs.append(out)
    ids_a = [d["id"] for d in _kept(runs[0])]
    assert ids_a == [d["id"] for d in _kept(runs[1])]
    files = sorted(p.name for p in (runs[0] / "documents").iterdir())
    for name in files:  # byte-identical output
        assert (runs[0] / "documents" / name).read_bytes() == (runs[1] / "documents" / name).read_bytes()
    scores = _all_scores(data)
    assert set(ids_a) == {i for i, s in scores.items() if pareto_keep(s, i, 9.0, seed=11)}
    # Kept count vs the closed form P(keep | s) = (2 - s)^-alpha, summed over the documents.
    p = pareto_keep_probability(np.array(list(scores.values())), 9.0)
    assert abs(len(ids_a) - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum()) + 1
    select = _stats(runs[0])["quality_select"]
    assert select["kept:pareto"] == len(ids_a) and select["in"] == select["out"] + select["dropped:pareto"]


def test_docs_pipeline_applies_quality_section(data, tmp_path):
    out = tmp_path / "docs"
    code = main(["docs", "--input", str(data["docs"]), "--output", str(out),
                 "--set", f"quality.model={data['model']}", "--set", "quality.mode=threshold"])
    assert code == 0
    scores = _all_scores(data)
    kept = {d["id"] for d in _kept(out)}
    assert kept == {i for i, s in scores.items() if s >= 0.5}
    assert _stats(out)["quality_select"]["dropped:threshold"] == len(scores) - len(kept)
