"""Issue 14, class 5: the shard manifest is verified, not trusted (training reader and `curation validate`)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curation.shards import ShardCorruptError, ShardDataset
from curation.shards.format import MANIFEST_NAME
from pipelines.cli import main
from tests import synthetic_shards as F

SEQ, VOCAB = 32, 128
LANG = F.Language.make(VOCAB, seed=1)
FAST = ["--model", "tiny", "--steps", "0", "--device", "cpu", "--set", "probe_steps=0"]


@pytest.fixture()
def shards(tmp_path) -> Path:
    out = tmp_path / "shards"
    F.write_shard_dir(out, [F.pack(LANG.documents(20, np.random.default_rng(i), max_len=40), SEQ, prefix=f"d{i}")
                            for i in range(3)], SEQ, VOCAB)
    return out


def edit_manifest(directory: Path, edit) -> None:
    manifest = json.loads((directory / MANIFEST_NAME).read_text())
    edit(manifest)
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest))


def escape_entry(directory: Path, name: str) -> None:
    """Point entry 0 at a file outside the directory that has the right checksum."""
    outside = directory.parent / "outside.parquet"
    outside.write_bytes((directory / "shard-00000-of-00003.parquet").read_bytes())
    edit_manifest(directory, lambda m: m["shards"][0].update(file=name.format(outside=outside)))


CASES = {
    "dotdot": (lambda d: escape_entry(d, "../outside.parquet"), "not a plain file name"),
    "absolute": (lambda d: escape_entry(d, "{outside}"), "not a plain file name"),
    "duplicate": (lambda d: edit_manifest(d, lambda m: m["shards"].append(dict(m["shards"][0]))), "listed twice"),
    "unlisted": (lambda d: edit_manifest(d, lambda m: m["shards"].pop()), "not listed"),
    "missing": (lambda d: (d / "shard-00001-of-00003.parquet").unlink(), "missing"),
    "no_sha": (lambda d: edit_manifest(d, lambda m: m["shards"][1].pop("sha256")), "'sha256'"),
    "rows_str": (lambda d: edit_manifest(d, lambda m: m["shards"][1].update(rows="10")), "'rows'"),
    "seq_len_str": (lambda d: edit_manifest(d, lambda m: m.update(seq_len="32")), "'seq_len'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_training_reader_refuses_an_untrustworthy_manifest(shards, case):
    damage, message = CASES[case]
    damage(shards)
    with pytest.raises(ShardCorruptError, match=message) as caught:
        list(ShardDataset(str(shards), rank=0, world_size=1))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("case", ["dotdot", "absolute", "duplicate", "no_sha", "rows_str"])
def test_validate_fails_an_untrustworthy_manifest(shards, case, capsys):
    CASES[case][0](shards)
    assert main(["validate", str(shards), "--report", str(shards.parent / "report"), *FAST]) == 2
    err = capsys.readouterr().err
    assert CASES[case][1] in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_validate_reports_a_bit_flipped_shard_as_failed(shards, capsys):
    path = shards / "shard-00001-of-00003.parquet"
    data = bytearray(path.read_bytes())
    data[12] ^= 0xFF  # inside the first data page: pyarrow fails decoding it ("Corrupt snappy compressed data")
    path.write_bytes(bytes(data))
    report = shards.parent / "report"
    assert main(["validate", str(shards), "--report", str(report), *FAST]) == 1
    result = json.loads((report / "validation.json").read_text())
    verdicts = {d["file"]: (d["verdict"], d["reasons"]) for d in result["shards"]}
    assert verdicts["shard-00001-of-00003.parquet"][0] == "fail"
    assert {"check:checksum", "check:readable"} <= set(verdicts["shard-00001-of-00003.parquet"][1])
    assert verdicts["shard-00000-of-00003.parquet"] == ("pass", [])
