"""``curation run`` on the shipped sample config: every stage, funnel, report, determinism, resume."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.cli import main

FAST = ["--set", "validate.steps=8", "--set", "validate.probe_steps=2"]
STAGES = ["extract:web", "quality-model", "filter:web", "quality:web", "dedup:web", "dedup:books",
          "tokenizer", "shards", "validate"]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, repo_root):
    out = tmp_path_factory.mktemp("run") / "full"
    config = str(repo_root / "configs" / "sample.yaml")  # its input paths are relative to the file
    return main(["run", config, "--output", str(out), *FAST]), out


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "shards").glob("shard-*.parquet"))}


def test_every_stage_writes_its_output(full_run):
    code, out = full_run
    assert code == 0
    run = json.loads((out / "run.json").read_text())
    assert [s["stage"] for s in run["stages"]] == STAGES
    # enough to audit and reproduce the run from its output alone
    assert run["config"]["shards"]["seq_len"] == 256 and run["config"]["validate"]["steps"] == 8
    assert run["command"][-4:] == FAST and run["runner"]["name"] and run["runner"]["options"] == []
    versions = run["versions"]
    assert versions["cc-curation"] and versions["apache-beam"] and versions["torch"].startswith("2.13.0")
    assert run["python"]["version"] and (run["git"] is None or len(run["git"]["commit"]) == 40)
    assert set(run["stage_fingerprints"]) == set(STAGES)
    folders = {"extract:web": "extract/web", "quality-model": "quality-model", "filter:web": "filter/web",
               "quality:web": "quality/web", "dedup:web": "dedup/web", "dedup:books": "dedup/books",
               "tokenizer": "tokenizer", "shards": "shards", "validate": "validation"}
    for stage, folder in folders.items():  # one completion marker, written by every stage
        marker = json.loads((out / folder / "_SUCCESS.json").read_text())
        assert marker["stage"] == stage and marker["fingerprint"] == run["stage_fingerprints"][stage]["fingerprint"]
        assert marker["files"] and all((out / folder / name).stat().st_size == size
                                       for name, size in marker["files"].items())
    assert all(len(f["fingerprint"]) == 16 and f["seconds"] >= 0 for f in run["stage_fingerprints"].values())
    for stage in ("extract/web", "filter/web", "quality/web", "dedup/web", "dedup/books"):
        docs = pq.read_table(out / stage / "documents").to_pylist()
        assert docs, stage
    scored = pq.read_table(out / "quality" / "web" / "documents").column("quality_score").to_pylist()
    assert all(s is not None and 0.0 <= s <= 1.0 for s in scored)
    langs = pq.read_table(out / "filter" / "web" / "documents").column("language").to_pylist()
    assert set(langs) == {"en"}
    assert (out / "quality-model" / "quality.bin").exists() and (out / "tokenizer" / "tokenizer.json").exists()
    manifest = json.loads((out / "shards" / "manifest.json").read_text())
    assert manifest["shards"] and {r["source"] for r in manifest["mixture"]} == {"web", "books"}
    validation = json.loads((out / "validation" / "validation.json").read_text())
    assert all(s["verdict"] == "pass" for s in validation["shards"])
    report = (out / "report.html").read_text()
    for section in ("Funnel", "Quality scores", "Near-duplicate clusters", "Mixture", "Validation"):
        assert section in report
    assert "data:image/png;base64," in report
    z = [s["loss_z"] for s in validation["shards"]]  # the report's z-score column shows what validate wrote
    assert all(v is not None for v in z) and all(f"<td>{v:.2f}</td>" in report for v in z)


def test_run_json_redacts_secrets():
    from pipelines.run.provenance import redact, redact_config

    args = ["--runner=DataflowRunner", "--aws_secret_access_key=abc", "--dask_token", "xyz", "--project=p",
            "--set", "io.api_key=k"]
    assert redact(args) == ["--runner=DataflowRunner", "--aws_secret_access_key=<redacted>", "--dask_token",
                            "<redacted>", "--project=p", "--set", "io.api_key=<redacted>"]
    assert redact_config({"s3": {"secret_key": "k", "region": "eu"}, "token": None}) == \
        {"s3": {"secret_key": "<redacted>", "region": "eu"}, "token": None}


def test_funnel_counts_add_up(full_run):
    _, out = full_run
    funnel = json.loads((out / "run.json").read_text())["funnel"]
    assert funnel and all(row["balanced"] for row in funnel)
    web = [row for row in funnel if row["source"] == "web"]
    steps = [row["step"] for row in web]
    assert steps[:4] == ["records", "extract", "c4_length", "url_dedup"] and "quality_select" in steps
    for before, after in zip(web[1:], web[2:]):  # each step reads what the previous one kept
        assert after["docs_in"] == before["docs_out"], (before["step"], after["step"])
    final_docs = pq.read_table(out / "dedup" / "web" / "documents").num_rows
    assert web[-1]["docs_out"] == final_docs
    text = (out / "funnel.txt").read_text()
    assert "badwords" in text and "quality_select" in text


def test_interrupted_run_resumes_and_output_is_byte_identical(full_run, tmp_path, repo_root, capsys, monkeypatch):
    _, first = full_run
    monkeypatch.chdir(tmp_path)  # any working directory
    out = tmp_path / "again"
    config = str(repo_root / "configs" / "sample.yaml")
    assert main(["run", config, "--output", str(out), "--stop-after", "filter:web", *FAST]) == 0
    assert (out / "filter" / "web" / "_SUCCESS.json").exists() and not (out / "shards").exists()
    capsys.readouterr()
    assert main(["run", config, "--output", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "extract:web: up to date" in printed and "filter:web: up to date" in printed
    assert "[9/9] validate: running" in printed
    assert shard_bytes(out) == shard_bytes(first) and shard_bytes(out)
    # a changed parameter re-runs that stage and everything after it, nothing before
    assert main(["run", config, "--output", str(out), *FAST, "--set", "shards.seed=7"]) == 0
    printed = capsys.readouterr().out
    assert "dedup:web: up to date" in printed and "tokenizer: up to date" in printed
    assert "[8/9] shards: running" in printed and shard_bytes(out) != shard_bytes(first)


def test_dry_run_prints_the_plan(repo_root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(repo_root)
    assert main(["run", "configs/sample.yaml", "--output", str(tmp_path / "x"), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "plan: 9 stage(s), runner FnApiRunner" in printed
    for stage in STAGES:
        assert stage in printed
    assert not (tmp_path / "x").exists()


def test_bad_run_config_is_a_clear_error(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("sources:\n  - name: web\n    weight: 1\nshards:\n  total_tokens: 10\n  seq_lenn: 3\n")
    assert main(["run", str(config), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "sources.0" in err and "shards.seq_lenn" in err


def test_config_reference_is_up_to_date(repo_root):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(repo_root / "scripts" / "config_reference.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _stage_outputs(out: Path) -> dict[str, bytes]:
    """Every file the document stages, the tokenizer and the shards wrote, by relative path
    (minus what records where and when it ran: markers, train_report, stats.json)."""
    files = {}
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if path.is_file() and name.split("/")[0] in {"extract", "filter", "quality", "dedup", "tokenizer", "shards"} \
                and path.name not in {"_SUCCESS.json", "train_report.json", "stats.json", "manifest.json"}:
            files[name] = path.read_bytes()
    return files


def _manifest(out: Path) -> dict:
    manifest = json.loads((out / "shards" / "manifest.json").read_text())
    manifest["tokenizer"].pop("path")  # the run's own tokenizer directory
    return manifest


def test_whole_job_on_dask_is_byte_identical(full_run, tmp_path, repo_root, dask_cluster):
    """Every Beam stage of the sample job on a 2-process dask.distributed cluster (validation runs
    on the launcher whatever the runner, so it stops after the shards)."""
    _, local = full_run
    out = tmp_path / "dask"
    config = str(repo_root / "configs" / "sample.yaml")
    assert main(["run", config, "--output", str(out), *FAST, "--stop-after", "shards", "--",
                 "--runner=DaskRunner", f"--dask_client_address={dask_cluster.scheduler_address}"]) == 0
    local_files, dask_files = _stage_outputs(local), _stage_outputs(out)
    assert any(name.endswith("counts.json") for name in local_files)
    assert sorted(dask_files) == sorted(local_files)
    assert [name for name in local_files if dask_files[name] != local_files[name]] == []
    assert _manifest(out) == _manifest(local)
    assert (out / "funnel.txt").read_text() == (local / "funnel.txt").read_text()
