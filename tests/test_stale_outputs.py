"""Issue 14, class 4: partial and stale outputs are never taken as complete.

Each case is built here from a real ``curation docs`` output (the shipped books sample): a rerun
with another shard count, the states a kill leaves (no marker, a part missing or cut short, a
truncated marker), a stale part beside finished ones; then read back through the CLI.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.io.completion import SUCCESS_FILE, check_input_dir, read_success
from curation.io.paths import write_atomic
from pipelines.cli import main

BOOKS_ROWS = 68


def docs(inputs, out: Path, *more: str) -> int:
    args = ["docs", "--output", str(out), *more]
    for path in [inputs] if not isinstance(inputs, list) else inputs:
        args += ["--input", str(path)]
    return main(args)


def parts(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "documents").iterdir())


@pytest.fixture(scope="module")
def finished(tmp_path_factory, sample_dir) -> Path:
    """A finished ``curation docs`` output of the books sample in 4 parts (kept pristine: copy it)."""
    out = tmp_path_factory.mktemp("finished") / "books"
    assert docs(sample_dir / "reference" / "books.jsonl", out, "--set", "output.docs_per_shard=20") == 0
    return out


def copy(finished: Path, tmp_path: Path) -> Path:
    out = tmp_path / "books"
    shutil.copytree(finished, out)
    return out


def refused(capsys, inputs: Path, tmp_path: Path) -> str:
    """Read ``inputs`` with the next stage; it must stop before any work with one line, exit 2."""
    capsys.readouterr()
    assert docs(inputs, tmp_path / "next") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "next" / "documents").exists()
    return err


def test_rerun_with_another_shard_count_replaces_the_output(finished, tmp_path, sample_dir):
    out = copy(finished, tmp_path)
    assert len(parts(out)) == 4
    assert docs(sample_dir / "reference" / "books.jsonl", out) == 0  # one part now
    assert parts(out) == ["part-00000-of-00001.parquet"]
    assert pq.read_table(out / "documents").num_rows == BOOKS_ROWS
    assert docs(out, tmp_path / "next") == 0  # the next stage reads every document once
    assert pq.read_table(tmp_path / "next" / "documents").num_rows == BOOKS_ROWS
    marker = read_success(str(out))
    assert marker["stage"] == "docs" and sorted(marker["files"]) == sorted(
        ["counts.json", "documents/part-00000-of-00001.parquet"]
        + [f"errors/{p.name}" for p in (out / "errors").iterdir()])


def test_rerun_keeps_files_no_stage_wrote(finished, tmp_path, sample_dir):
    out = copy(finished, tmp_path)
    (out / "NOTES.md").write_text("mine")
    assert docs(sample_dir / "reference" / "books.jsonl", out) == 0
    assert (out / "NOTES.md").read_text() == "mine"


def test_finished_output_is_read(finished, tmp_path):
    assert docs(finished, tmp_path / "a") == 0
    assert docs(finished / "documents", tmp_path / "b") == 0  # the documents folder, marker in its parent
    assert pq.read_table(tmp_path / "b" / "documents").num_rows == BOOKS_ROWS


def test_output_without_marker_is_refused(finished, tmp_path, capsys):
    out = copy(finished, tmp_path)
    (out / SUCCESS_FILE).unlink()  # what a kill before the last write leaves
    assert "unfinished stage output: no _SUCCESS.json" in refused(capsys, out, tmp_path)
    assert "unfinished stage output" in refused(capsys, out / "documents", tmp_path)


def test_output_with_a_part_missing_is_refused(finished, tmp_path, capsys):
    out = copy(finished, tmp_path)
    (out / "documents" / "part-00002-of-00004.parquet").unlink()
    assert "documents/part-00002-of-00004.parquet is missing" in refused(capsys, out, tmp_path)


def test_output_with_a_part_cut_short_is_refused(finished, tmp_path, capsys):
    out = copy(finished, tmp_path)
    part = out / "documents" / "part-00001-of-00004.parquet"
    part.write_bytes(part.read_bytes()[:100])
    assert "truncated or replaced" in refused(capsys, out / "documents", tmp_path)


def test_stale_part_beside_a_finished_output_is_refused(finished, tmp_path, capsys):
    out = copy(finished, tmp_path)
    shutil.copy(out / "documents" / "part-00000-of-00004.parquet", out / "documents" / "part-00000-of-00002.parquet")
    assert "part-00000-of-00002.parquet is not part of the finished output" in refused(capsys, out, tmp_path)


def test_truncated_marker_means_not_done(finished, tmp_path, capsys, sample_dir):
    out = copy(finished, tmp_path)
    marker = out / SUCCESS_FILE
    marker.write_bytes(marker.read_bytes()[:40])  # a full disk or a kill in the middle of the write
    assert read_success(str(out)) is None
    assert "is unreadable (truncated?)" in refused(capsys, out, tmp_path)
    assert docs(sample_dir / "reference" / "books.jsonl", out) == 0  # rewriting it works, no crash
    check_input_dir(str(out))


def test_plain_folder_of_files_needs_no_marker(tmp_path, sample_dir):
    folder = tmp_path / "dump"
    folder.mkdir()
    shutil.copy(sample_dir / "reference" / "books.jsonl", folder / "train-00000-of-00001.jsonl")
    check_input_dir(str(folder))
    assert docs(folder, tmp_path / "out") == 0


def test_input_inside_the_output_is_refused(finished, tmp_path, capsys):
    out = copy(finished, tmp_path)
    capsys.readouterr()
    assert docs(out / "documents", out) == 2
    assert "inside the output" in capsys.readouterr().err
    assert read_success(str(out)) is not None  # nothing was removed


def test_failed_atomic_write_leaves_the_old_file(tmp_path):
    path = tmp_path / SUCCESS_FILE
    write_atomic(str(path), b'{"files": {}}')
    with pytest.raises(TypeError):
        write_atomic(str(path), "not bytes")  # fails inside the write
    assert json.loads(path.read_text()) == {"files": {}}
    assert [p.name for p in tmp_path.iterdir()] == [SUCCESS_FILE]  # no temporary file left


def test_run_stage_with_truncated_or_broken_marker_runs_again(tmp_path):
    from pipelines.run.planner import Stage, execute

    runs = []

    def work():
        runs.append(1)
        (tmp_path / "stage" / "vocab.txt").write_text("a b c")

    stage = Stage("tokenizer", str(tmp_path / "stage"), {"config": 1}, work)
    execute([stage], echo=False)
    assert stage.is_current() and read_success(stage.output)["files"] == {"vocab.txt": 5}
    marker = tmp_path / "stage" / SUCCESS_FILE
    marker.write_bytes(marker.read_bytes()[:30])
    assert not stage.is_current()  # "not done", no crash
    execute([stage], echo=False)
    assert len(runs) == 2 and stage.is_current()
    (tmp_path / "stage" / "vocab.txt").write_text("a b")  # changed since: not the finished output
    assert not stage.is_current()


@pytest.fixture(scope="module")
def quality_model(tmp_path_factory) -> Path:
    """A small quality model (real prose vs generated spam), trained through ``filters.quality.train``."""
    from filters.quality.config import TrainConfig
    from filters.quality.train import train
    from tests import quality_corpus as corpus

    root = tmp_path_factory.mktemp("model")
    prose = corpus.prose_passages(1, 3, seed=0)[0::4]
    pos = corpus.write_lines(root / "pos.txt", prose)
    neg = corpus.write_lines(root / "neg.txt", corpus.spam_documents(len(prose), seed=1, prose=prose))
    train([str(pos)], [str(neg)], str(root / "quality.bin"), TrainConfig(bucket=20000, min_per_class=20))
    return root


def test_quality_model_written_to_a_full_disk_fails_at_the_write(quality_model):
    from filters.quality.config import TrainConfig
    from filters.quality.train import train

    with pytest.raises(OSError, match="No space left on device"):  # /dev/full: every write is ENOSPC
        train([str(quality_model / "pos.txt")], [str(quality_model / "neg.txt")], "/dev/full",
              TrainConfig(bucket=20000, min_per_class=20))
    assert not Path("/dev/full.card.json").exists()


def test_truncated_quality_model_is_refused_not_scoring_one_half(quality_model, tmp_path, capsys, sample_dir):
    from filters.quality.classifier import QualityModel, QualityModelError

    whole = (quality_model / "quality.bin").read_bytes()
    assert 0.0 < QualityModel(str(quality_model / "quality.bin")).score("buy cheap now click here") < 0.5
    cut = tmp_path / "cut.bin"  # a copy without its card: only the file itself can tell
    for size in (len(whole) - 100, len(whole) // 2, 200, 40):  # fastText scores 0.5 or crashes on these
        cut.write_bytes(whole[:size])
        with pytest.raises(QualityModelError, match="truncated"):
            QualityModel(str(cut))
    capsys.readouterr()
    assert main(["quality", "score", "--model", str(cut), "--input", str(sample_dir / "reference" / "books.jsonl"),
                 "--output", str(tmp_path / "scored")]) == 2
    assert "is truncated" in capsys.readouterr().err


def sample_run_config(repo_root: Path, books: Path | None = None):
    from curation.config import load_config
    from pipelines.run.config import RunConfig, resolve_paths

    path = str(repo_root / "configs" / "sample.yaml")
    config = resolve_paths(load_config(RunConfig, path, []), path)
    if books is not None:
        config.sources[1].inputs = [str(books)]
    return config


def digests(config, output: str) -> dict[str, str]:
    from pipelines.run.planner import Planner

    return {stage.name: stage.digest for stage in Planner(config, output, [], echo=False).plan()}


def test_fingerprints_do_not_depend_on_where_the_run_is(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = sample_run_config(repo_root)
    first = digests(config, str(tmp_path / "out"))
    assert len(first) == 9
    assert digests(config, "out") == first  # --output out vs an absolute path
    assert digests(config, str(tmp_path / "elsewhere" / "moved")) == first  # the run directory moved


def test_input_edited_at_the_same_size_reruns(repo_root, tmp_path, sample_dir):
    import os

    books = tmp_path / "books.jsonl"
    shutil.copy(sample_dir / "reference" / "books.jsonl", books)
    before = digests(sample_run_config(repo_root, books), str(tmp_path / "out"))
    stat = books.stat()
    data = books.read_bytes()
    books.write_bytes(data.replace(b"the", b"THE", 1))  # same size, same modification time
    os.utime(books, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = digests(sample_run_config(repo_root, books), str(tmp_path / "out"))
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"dedup:books", "tokenizer", "shards", "validate"}


def test_moved_run_skips_its_finished_stages(tmp_path, sample_dir, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(sample_dir / "reference" / "books.jsonl", tmp_path / "books.jsonl")
    (tmp_path / "run.yaml").write_text(
        "sources: [{name: books, kind: documents, inputs: [books.jsonl], weight: 1}]\ndedup: {enabled: false}\n"
        "tokenizer: {train: {algorithm: bpe, vocab_size: 300}}\n"
        "shards: {total_tokens: 2000, seq_len: 64}\nvalidate: {enabled: false}\n")
    assert main(["run", "run.yaml", "--output", "out", "--stop-after", "tokenizer"]) == 0
    shutil.move(tmp_path / "out", tmp_path / "moved")
    capsys.readouterr()
    assert main(["run", "run.yaml", "--output", str(tmp_path / "moved"), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "tokenizer              up to date" in plan and "shards                 to run" in plan


def test_word_list_and_langid_model_are_relative_to_the_run_config(repo_root, tmp_path, monkeypatch):
    """A run config's own files (bad-words list, fastText LID model) are found from any directory."""
    from curation.config import load_config
    from pipelines.run.config import RunConfig, resolve_paths

    folder = tmp_path / "project"
    folder.mkdir()
    config_file = folder / "run.yaml"
    config_file.write_text((repo_root / "configs" / "sample.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    config = resolve_paths(load_config(RunConfig, str(config_file), [
        "filters.badwords.path=lists/words.txt", "filters.langid.fasttext_model=models/lid.ftz",
        "filters.langid.detector=fasttext", "filters.langid.enabled=true"]), str(config_file))
    assert config.filters.badwords.path == str(folder / "lists" / "words.txt")
    assert config.filters.langid.fasttext_model == str(folder / "models" / "lid.ftz")
