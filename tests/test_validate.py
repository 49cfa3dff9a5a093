"""`curation validate` end to end on synthetic shard directories (CPU, tiny proxy, few steps)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from curation.shards.format import shard_file_name
from curation.validate import ValidateConfig, validate_shards, write_report
from pipelines.cli import main
from tests import synthetic_shards as F

SEQ, VOCAB = 64, 512


@pytest.fixture(autouse=True, scope="module")
def _one_thread(torch_one_thread):
    yield
FAST = ["--model", "tiny", "--steps", "25", "--device", "cpu", "--seed", "7",
        "--set", "batch_size=8", "--set", "probe_steps=3", "--set", "train_rows_per_shard=24",
        "--set", "eval_rows_per_shard=8"]
LANG = F.Language.make(VOCAB, seed=0)
DOCS = 50  # ~35 rows of 64 tokens per shard


def _docs(seed):
    return LANG.documents(DOCS, np.random.default_rng(seed), max_len=90)


def _validate(shards_dir: Path, report: Path, *extra: str) -> tuple[int, dict]:
    rc = main(["validate", str(shards_dir), "--report", str(report), *FAST, *extra])
    return rc, json.loads((report / "validation.json").read_text())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Six good shards plus one planted defect per shard 6..10."""
    out = tmp_path_factory.mktemp("mixed") / "shards"
    shards = [F.pack(_docs(100 + i), SEQ, prefix=f"g{i}") for i in range(6)]
    shards += [F.random_token_shard(LANG, DOCS, SEQ, seed=2),
               F.other_tokenizer_shard(LANG, DOCS, SEQ, seed=3),
               F.all_padding(40, SEQ),
               F.repeated_doc_shard(LANG, DOCS, SEQ, seed=4),
               F.pack(_docs(200), SEQ, prefix="late")]
    F.write_shard_dir(out, shards, SEQ, VOCAB, shard_tokenizers={7: F.OTHER_TOKENIZER_SHA})
    F.corrupt_after_manifest(out / "shard-00010-of-00011.parquet", SEQ)
    report = out.parent / "report"
    rc, result = _validate(out, report)
    return rc, {d["file"]: d for d in result["shards"]}, report


def _shard(i: int) -> str:
    return shard_file_name(i, 11)


def test_good_shard_set_passes(tmp_path):
    out = tmp_path / "shards"
    F.write_shard_dir(out, [F.pack(_docs(300 + i), SEQ, prefix=f"g{i}") for i in range(5)], SEQ, VOCAB)
    rc, result = _validate(out, tmp_path / "report")
    assert rc == 0, [(d["file"], d["reasons"]) for d in result["shards"]]
    assert result["passed"] and result["counts"] == {"shards": 5, "passed": 5, "failed": 0}
    # The proxy learned the synthetic language: far below the uniform ln(512) = 6.24.
    assert result["proxy"]["train_loss_last"] < result["proxy"]["train_loss_first"] - 1.5
    assert all(d["loss"] < 4.0 and d["verdict"] == "pass" for d in result["shards"])
    html = (tmp_path / "report" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5 and "shard-00004-of-00005" in html


@pytest.mark.parametrize("index, expected", [
    (6, {"unigram_divergence", "loss_outlier_high"}),                      # random token ids
    (7, {"check:tokenizer", "unigram_divergence", "loss_outlier_high"}),   # another vocabulary
    (8, {"check:non_empty_rows", "mostly_padding"}),                       # all padding
    (9, {"repeated_rows"}),                                                # one document repeated
    (10, {"check:checksum"}),                                              # damaged after writing
])
def test_planted_bad_shard_fails_for_the_right_reason(mixed, index, expected):
    _, shards, _ = mixed
    shard = shards[_shard(index)]
    assert shard["verdict"] == "fail"
    assert expected <= set(shard["reasons"]), shard["reasons"]


def test_mixed_set_good_shards_pass_and_exit_status_gates(mixed):
    rc, shards, report = mixed
    assert rc == 1
    for i in range(6):
        assert shards[_shard(i)]["verdict"] == "pass", shards[_shard(i)]["reasons"]
        assert abs(shards[_shard(i)]["loss_z"]) < 3.5
    # The checksum-damaged shard is otherwise healthy: its loss is in line with the good ones.
    assert shards[_shard(10)]["reasons"] == ["check:checksum"]
    # Learnability probe: a repeated document is memorised faster than varied text is learned.
    drop = {i: shards[_shard(i)]["learnability"]["loss_drop"] for i in (0, 9)}
    assert drop[9] > drop[0]
    assert shards[_shard(8)]["loss"] is None and shards[_shard(8)]["stats"]["pad_fraction"] == 1.0
    counts = json.loads((report / "validation.json").read_text())["counts"]
    assert counts["failed"] == 5 and counts["failed:check:checksum"] == 1


def _rewrite(path: Path, edit) -> None:
    """Apply ``edit(cols)`` to a shard's columns and write it back in the shard format."""
    cols = F.read_shard(path, SEQ)
    edit(cols)
    F.write_shard(path, cols, SEQ)


def test_structural_checks_name_each_defect(tmp_path):
    out = tmp_path / "shards"
    F.write_shard_dir(out, [F.pack(_docs(400 + i), SEQ, prefix=f"g{i}") for i in range(5)], SEQ, VOCAB)

    def out_of_vocab(c):
        c["input_ids"][3, 1] = VOCAB + 7

    def positions_not_restarting(c):
        row = int(np.flatnonzero(c["segment_ids"].max(axis=1) >= 2)[0])
        c["position_ids"][row][c["segment_ids"][row] == 2] += 3

    def pad_inside_text(c):
        c["input_ids"][0, 2] = F.PAD

    _rewrite(out / "shard-00000-of-00005.parquet", out_of_vocab)
    _rewrite(out / "shard-00001-of-00005.parquet", positions_not_restarting)
    _rewrite(out / "shard-00002-of-00005.parquet", pad_inside_text)
    (out / "shard-00003-of-00005.parquet").unlink()
    shutil.copy(out / "shard-00004-of-00005.parquet", out / "shard-00009-of-00010.parquet")
    (out / "shard-00004-of-00005.parquet").write_bytes(b"PAR1 not really parquet")
    result = validate_shards(out, ValidateConfig(steps=0, probe_steps=0, device="cpu"))
    reasons = {d["file"]: d["reasons"] for d in result["shards"]}
    assert "check:token_range" in reasons["shard-00000-of-00005.parquet"]
    assert "check:segments" in reasons["shard-00001-of-00005.parquet"]
    assert "check:padding" in reasons["shard-00002-of-00005.parquet"]
    assert reasons["shard-00003-of-00005.parquet"] == ["check:exists"]
    assert "check:readable" in reasons["shard-00004-of-00005.parquet"]
    assert reasons["shard-00009-of-00010.parquet"] == ["check:listed"]
    assert not result["passed"]


def test_a_shard_or_row_that_trains_nothing_fails(tmp_path):
    shards = [F.pack(_docs(500 + i), SEQ, prefix=f"g{i}") for i in range(6)]
    shards[4]["loss_mask"][:] = 0  # real tokens, no loss targets: trains nothing
    shards[5]["loss_mask"][2, :] = 0  # one row without targets in an otherwise good shard
    F.write_shard_dir(tmp_path / "shards", shards, SEQ, VOCAB)
    rc, result = _validate(tmp_path / "shards", tmp_path / "report")
    by_file = {d["file"]: d for d in result["shards"]}
    failed = [f for f, d in by_file.items() if "check:loss_targets" in d["reasons"]]
    assert rc == 1 and failed == [_shard6(4), _shard6(5)]
    assert "0.0% of real tokens are loss targets" in by_file[_shard6(4)]["checks"]["loss_targets"]["detail"]
    assert "1 of" in by_file[_shard6(5)]["checks"]["loss_targets"]["detail"]
    # the floor is a setting: at 0 a row without targets is accepted
    _, result = _validate(tmp_path / "shards", tmp_path / "report0", "--set", "loss_target_fraction_min=0")
    assert all(d["checks"]["loss_targets"]["ok"] for d in result["shards"])


def _shard6(i: int) -> str:
    return shard_file_name(i, 6)


def test_same_seed_gives_byte_identical_report(tmp_path):
    out = tmp_path / "shards"
    F.write_shard_dir(out, [F.pack(_docs(500 + i), SEQ, prefix=f"g{i}") for i in range(4)], SEQ, VOCAB)
    cfg = ValidateConfig(steps=5, probe_steps=2, batch_size=4, device="cpu", seed=3)
    first, _ = write_report(validate_shards(out, cfg), tmp_path / "a")
    second, _ = write_report(validate_shards(out, cfg), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text())["proxy"]["steps"] == 5


def test_not_a_shard_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path), "--report", str(tmp_path / "r")]) == 2
    assert "manifest.json" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text("{}")
    assert main(["validate", str(tmp_path), "--report", str(tmp_path / "r")]) == 2
    F.write_shard_dir(tmp_path / "s", [F.pack(_docs(1), SEQ)], SEQ, VOCAB)
    assert main(["validate", str(tmp_path / "s"), "--report", str(tmp_path / "r"),
                 "--set", "loss_z_max=-1"]) == 2


def test_shards_written_by_curation_shards_pass_every_structural_check(tmp_path):
    from tests.test_shards_cli import MIXTURE, iter_texts, load_mixture, train_tokenizer

    config = load_mixture(str(MIXTURE))
    tok_dir = tmp_path / "tok"
    tok_dir.mkdir()
    train_tokenizer(list(iter_texts([p for s in config.sources for p in s.paths])), tok_dir)
    out = tmp_path / "shards"
    assert main(["shards", "--mixture", str(MIXTURE), "--tokenizer", str(tok_dir), "--output", str(out),
                 "--set", "seq_len=128", "--set", "rows_per_shard=200"]) == 0
    rc, result = _validate(out, tmp_path / "report", "--steps", "10", "--set", "probe_steps=1")
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(result["shards"]) == len(manifest["shards"]) >= 2
    for shard in result["shards"]:
        assert all(c["ok"] for c in shard["checks"].values()), (shard["file"], shard["checks"])
        assert shard["loss"] is not None and shard["stats"]["pad_fraction"] < 0.5
    assert rc == 0, {d["file"]: d["reasons"] for d in result["shards"]}


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"), ("[]", "top level must be an object"),
    ('{"format_version": 1, "seq_len": 8}', "missing keys"),
    ('{"format_version": 1, "seq_len": 8, "pad_id": 0, "vocab_size": 9, "shards": [{}]}', "each with a 'file'")])
def test_one_manifest_reader_for_validation_and_training(tmp_path, capsys, content, message):
    from curation.shards import ShardDataset

    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        ShardDataset(tmp_path)
    assert main(["validate", str(tmp_path), "--report", str(tmp_path / "r")]) == 2
    assert message in capsys.readouterr().err
