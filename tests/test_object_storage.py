"""Object storage: a stage reading from and writing to ``s3://`` (a moto S3 server on 127.0.0.1)."""
from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from pipelines.cli import main

BUCKET = "curation-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on a free port; AWS_* variables point every process (workers too) at it."""
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    env = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = boto3.client("s3", endpoint_url=url)
        for _ in range(200):
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:  # the server is still starting
                time.sleep(0.05)
        yield client
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.terminate()
        server.wait(timeout=30)


def _objects(client, prefix: str) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix):]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def test_docs_stage_from_and_to_s3(s3, tmp_path, sample_dir):
    for path in sorted((sample_dir / "warc").glob("*.warc.gz")):
        s3.upload_file(str(path), BUCKET, f"in/{path.name}")
    local = tmp_path / "local"
    assert main(["docs", "--input", str(sample_dir / "warc"), "--output", str(local)]) == 0
    assert main(["docs", "--input", f"s3://{BUCKET}/in/*.warc.gz", "--output", f"s3://{BUCKET}/out"]) == 0
    remote = _objects(s3, "out/")
    assert {"counts.json", "stats.json", "_SUCCESS.json", "errors/errors-00000-of-00001.jsonl"} <= set(remote)
    assert remote["errors/errors-00000-of-00001.jsonl"] == b""  # an empty object (Beam's S3 writer cannot)
    documents = {k: v for k, v in remote.items() if k.startswith("documents/")}
    assert sorted(documents) == sorted(f"documents/{p.name}" for p in (local / "documents").iterdir())
    for name, data in documents.items():  # the same documents; warc_file names the file where it was read
        rows = pq.read_table(io.BytesIO(data)).to_pylist()
        assert [r.pop("warc_file").rsplit("/", 1)[1] for r in rows] == \
            [r.rsplit("/", 1)[1] for r in pq.read_table(local / name).column("warc_file").to_pylist()]
        assert rows == pq.read_table(local / name).drop(["warc_file"]).to_pylist()
    assert remote["counts.json"] == (local / "counts.json").read_bytes()
    assert json.loads(remote["stats.json"])["counters"]["extract"]["out"] > 0


# -- curation run with its sources and its output on s3:// -------------------------------------------

FAST = ["--set", "validate.steps=2", "--set", "validate.probe_steps=1"]
STAGE_DIRS = ("extract", "filter", "quality", "dedup", "tokenizer", "shards")
# What records where and when a stage ran (paths, seconds), not what it made.
RUN_RECORDS = {"_SUCCESS.json", "train_report.json", "stats.json", "manifest.json"}


def _run_config(tmp_path, repo_root, source: str) -> str:
    """The sample job with its inputs under ``source`` (a local directory or an s3:// prefix)."""
    import yaml

    config = yaml.safe_load((repo_root / "configs" / "sample.yaml").read_text())
    config["sources"][0]["inputs"] = [f"{source}/warc/*.warc.gz"]
    config["sources"][1]["inputs"] = [f"{source}/reference/books.jsonl"]
    config["quality"]["positive"] = [f"{source}/reference/books.jsonl"]
    path = tmp_path / f"run-{abs(hash(source))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, repo_root, sample_dir):
    tmp = tmp_path_factory.mktemp("local-run")
    out = tmp / "out"
    config = _run_config(tmp, repo_root, str(sample_dir))  # validation aside: its report names its paths
    assert main(["run", config, "--output", str(out), *FAST, "--stop-after", "shards"]) == 0
    return out


@pytest.fixture(scope="module")
def s3_sources(s3, sample_dir):
    for path in sorted((sample_dir / "warc").glob("*.warc.gz")) + [sample_dir / "reference" / "books.jsonl"]:
        s3.upload_file(str(path), BUCKET, f"src/{path.parent.name}/{path.name}")
    return f"s3://{BUCKET}/src"


def _local_files(out) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _without_paths(manifest: bytes) -> dict:
    data = json.loads(manifest)
    data["tokenizer"].pop("path")  # the run's own tokenizer directory
    return data


def _documents(data: bytes) -> list[dict]:
    """Rows of a documents file, ``warc_file`` cut to its name (it records where the file was read)."""
    rows = pq.read_table(io.BytesIO(data)).to_pylist()
    for row in rows:
        if row.get("warc_file"):
            row["warc_file"] = row["warc_file"].rsplit("/", 1)[1]
    return rows


def assert_same_run(local, remote: dict[str, bytes], dirs: tuple[str, ...] = STAGE_DIRS) -> None:
    """The s3 run made the files the local run made: byte-identical, except documents (``warc_file``
    holds the path read) and the manifest (the tokenizer's path)."""
    def made(name: str) -> bool:
        return name.split("/")[0] in dirs and name.rsplit("/", 1)[-1] not in RUN_RECORDS

    local_files = {name: data for name, data in _local_files(local).items() if made(name)}
    assert any(name.startswith("shards/shard-") for name in local_files)
    assert sorted(filter(made, remote)) == sorted(local_files)
    for name, data in local_files.items():
        if "/documents/" in name and name.endswith(".parquet"):
            assert _documents(remote[name]) == _documents(data), name
        else:
            assert remote[name] == data, name
    assert _without_paths(remote["shards/manifest.json"]) == _without_paths((local / "shards/manifest.json").read_bytes())
    assert remote["funnel.txt"] == (local / "funnel.txt").read_bytes()


@pytest.fixture(scope="module")
def s3_run(s3, s3_sources, tmp_path_factory, repo_root):
    """The job read from and written to s3 on the default runner: (output, config)."""
    output, config = f"s3://{BUCKET}/run", _run_config(tmp_path_factory.mktemp("s3-run"), repo_root, s3_sources)
    assert main(["run", config, "--output", output, *FAST]) == 0
    return output, config


def test_run_from_and_to_s3_equals_the_local_run(s3, s3_run, local_run, capsys):
    output, config = s3_run
    remote = _objects(s3, "run/")
    assert_same_run(local_run, remote)
    for name in ("run.json", "report.html", "validation/validation.json", "validation/report.html",
                 "quality-model/quality.bin", "quality-model/quality.card.json", "tokenizer/_SUCCESS.json"):
        assert name in remote, name
    run_info = json.loads(remote["run.json"])
    assert run_info["validation"]["shards"] == len(json.loads(remote["shards/manifest.json"])["shards"])
    # Resume: a second run finds every stage's marker on s3 and skips them all.
    capsys.readouterr()
    assert main(["run", config, "--output", output, *FAST]) == 0
    printed = capsys.readouterr().out
    assert printed.count("up to date") >= 9 and ": running" not in printed
    assert _objects(s3, "run/shards/") == {k[len("shards/"):]: v for k, v in remote.items() if k.startswith("shards/")}


def test_run_on_dask_with_s3_equals_the_local_run(s3, s3_sources, local_run, tmp_path, repo_root, dask_cluster):
    """Every Beam stage on a 2-process Dask cluster whose workers run elsewhere (their own working
    directory and HOME) and know only the standard AWS environment: nothing they open is a
    launcher path. The quality model and tokenizer are given as launcher-local files (the local
    run's): they travel to s3 first. Validation runs on the launcher: it stops after the shards."""
    import distributed

    elsewhere = tmp_path / "worker-home"
    elsewhere.mkdir()
    env = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                      "AWS_DEFAULT_REGION")} | {"HOME": str(elsewhere)}

    def move_worker(env, cwd):
        os.environ.update(env)
        os.chdir(cwd)
        return os.getcwd()

    with distributed.Client(dask_cluster.scheduler_address) as client:
        assert set(client.run(move_worker, env, str(elsewhere)).values()) == {str(elsewhere)}
    config = _run_config(tmp_path, repo_root, s3_sources)
    given = ["--set", f"quality.model={local_run / 'quality-model' / 'quality.bin'}",
             "--set", f"tokenizer.path={local_run / 'tokenizer'}"]
    assert main(["run", config, "--output", f"s3://{BUCKET}/dask", *FAST, *given, "--stop-after", "shards", "--",
                 "--runner=DaskRunner", f"--dask_client_address={dask_cluster.scheduler_address}"]) == 0
    remote = _objects(s3, "dask/")
    assert_same_run(local_run, remote, dirs=("extract", "filter", "quality", "dedup", "shards"))
    travelled = sorted(name.split("-", 1)[1] for name in remote if name.startswith("inputs/"))
    assert travelled == ["quality.bin", "quality.card.json", "tokenizer/_SUCCESS.json", "tokenizer/special_tokens.json",
                         "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "tokenizer/train_report.json"]
    assert list(elsewhere.iterdir()) == []  # the workers wrote nothing where they ran


def test_shard_dataset_reads_shards_from_s3(s3_run, local_run):
    from curation.shards.dataset import ShardDataset

    def samples(directory, **kwargs):
        return [{k: v.tolist() for k, v in sample.items()} for sample in ShardDataset(directory, **kwargs)]

    local = samples(str(local_run / "shards"), start=5)
    assert local and samples(f"{s3_run[0]}/shards", start=5) == local  # verified against the manifest
    assert samples(f"{s3_run[0]}/shards", start=5, verify=False, rank=1, world_size=2) == \
        samples(str(local_run / "shards"), start=5, verify=False, rank=1, world_size=2)


def test_launcher_files_a_worker_opens_travel_to_the_run_storage(s3, tmp_path, repo_root):
    """With a remote output, the filter lists a config names on the launcher's disk are copied under
    OUT/inputs/ and the stages' config names the copies, which the filters read from s3."""
    from curation.config import load_config
    from filters.badwords import load_words
    from filters.url_filter import read_list, ut1_lists
    from pipelines.run.config import RunConfig, resolve_paths
    from pipelines.run.worker_files import place_worker_files

    (tmp_path / "words.txt").write_text("spam\nscam\n")
    (tmp_path / "ut1" / "adult").mkdir(parents=True)
    (tmp_path / "ut1" / "adult" / "domains").write_text("bad.example\n# a comment\nworse.example\n")
    config_file = _run_config(tmp_path, repo_root, str(repo_root / "sample"))
    config = resolve_paths(load_config(RunConfig, config_file, [
        f"filters.badwords.path={tmp_path / 'words.txt'}", f"filters.url_filter.ut1={tmp_path / 'ut1'}"]),
        config_file)
    assert place_worker_files(config, str(tmp_path / "out"))[0] == config  # a local output: paths kept
    placed, files = place_worker_files(config, f"s3://{BUCKET}/wf")
    files.upload(echo=False)
    words, ut1 = placed.filters.badwords.path, placed.filters.url_filter.ut1
    assert words.startswith(f"s3://{BUCKET}/wf/inputs/") and ut1.startswith(f"s3://{BUCKET}/wf/inputs/")
    assert load_words(path=words) == ["spam", "scam"]
    lists = ut1_lists(ut1, None, "domains")
    assert list(lists) == ["adult"] and list(lists["adult"]) == ["bad.example", "worse.example"]
    assert list(read_list(f"{ut1}/adult/domains", "domains")) == ["bad.example", "worse.example"]
    assert placed.quality.positive == config.quality.positive  # read by the launcher: not copied
