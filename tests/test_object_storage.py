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
