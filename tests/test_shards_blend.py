"""The blend: every shard and every prefix of every rank's rows (``ShardDataset`` order) on the weights."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.shards.blend import share_errors
from pipelines.cli import main
from tests.test_shards_cli import tokenizer_dir  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parent.parent
TOY = REPO / "examples" / "mixture-gpt3"
WEIGHTS = {"web": 0.5, "books": 0.3, "wiki": 0.2}
FILES = {"web": "common_crawl", "books": "books2", "wiki": "webtext2"}
SEQ_LEN = 8  # short rows, so that 1% of the rows (800) is a meaningful prefix on a toy corpus


@pytest.fixture(scope="module")
def blended(tokenizer_dir, tmp_path_factory) -> Path:  # noqa: F811
    base = tmp_path_factory.mktemp("blend")
    sources = "\n".join(f"  - {{name: {n}, paths: [{TOY / FILES[n]}.jsonl.gz], weight: {w}}}" for n, w in WEIGHTS.items())
    (base / "mixture.yaml").write_text(f"sources:\n{sources}\ntotal_tokens: 640000\nseq_len: {SEQ_LEN}\n"
                                       "rows_per_shard: 4000\n")
    out = base / "shards"
    assert main(["shards", "--mixture", str(base / "mixture.yaml"), "--tokenizer", tokenizer_dir,
                 "--output", str(out)]) == 0
    return out


def _row_sources(directory: Path, manifest: dict) -> list[str]:
    """The source of every row in file order, read with pyarrow (not the project's reader)."""
    out = []
    for entry in manifest["shards"]:
        column = pq.read_table(directory / entry["file"], columns=["segment_sources"]).column(0).to_pylist()
        assert all(len(set(s)) == 1 for s in column)  # rows hold one source each
        out += [s[0] for s in column]
    return out


def test_every_shard_and_every_prefix_of_every_rank_is_on_the_weights(blended):
    from curation.shards import ShardDataset

    manifest = json.loads((blended / "manifest.json").read_text())
    realized = {m["source"]: m["share_realized"] for m in manifest["mixture"]}
    assert all(abs(realized[s] - w) < 0.001 for s, w in WEIGHTS.items())
    assert len(manifest["shards"]) == 21 and manifest["blend"]["max_shard_share_error"] < 0.005
    for entry in manifest["shards"]:
        assert all(abs(entry["source_shares"][s] - w) < 0.005 for s, w in WEIGHTS.items()), entry
    sources = _row_sources(blended, manifest)
    # A prefix of k rows is within about one row of the weights (1/k): 1% of a rank's rows must
    # be >= ~250 rows for 0.5 pp, so 80,000 rows cover up to 3 ranks at every 1%.
    for world in (1, 2, 3):
        for rank in range(world):
            rows = list(ShardDataset(str(blended), rank=rank, world_size=world, columns=["attention_mask"]))
            index = [int(r["index"]) for r in rows]
            tokens = [int(r["attention_mask"].sum()) for r in rows]
            assert index == list(range(index[0], index[0] + len(index)))
            cuts = [max(1, len(rows) * k // 100) for k in range(1, 101)]
            worst = max(share_errors([sources[i] for i in index], tokens, WEIGHTS, cuts))
            assert worst < 0.005, (world, rank, worst)
