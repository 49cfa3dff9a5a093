"""``curation shards`` end to end on the GPT-3-style toy mixture, the reader and the Megatron export."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from curation.io.docfiles import iter_documents, iter_texts
from curation.shards.mixture import load_mixture
from pipelines.cli import main

REPO = Path(__file__).resolve().parent.parent
MIXTURE = REPO / "examples" / "mixture-gpt3.yaml"
SEQ_LEN = 256  # below the longest toy documents, so long ones are chunked


def train_tokenizer(texts: list[str], directory: Path) -> str:
    """A small byte-level BPE saved as ``tokenizer.json`` + ``special_tokens.json`` (as ``tokenizer.load`` reads)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>"]
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=2000, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.save(str(directory / "tokenizer.json"))
    roles = {role: {"token": t, "id": tok.token_to_id(t)} for role, t in zip(("pad", "bos", "eos"), specials)}
    (directory / "special_tokens.json").write_text(json.dumps({"roles": roles}))
    return str(directory)


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> str:
    config = load_mixture(str(MIXTURE))
    texts = list(iter_texts([p for s in config.sources for p in s.paths]))
    return train_tokenizer(texts, tmp_path_factory.mktemp("tok"))


def build(tokenizer_dir: str, out: Path, *sets: str) -> Path:
    args = ["shards", "--mixture", str(MIXTURE), "--tokenizer", tokenizer_dir, "--output", str(out),
            "--set", f"seq_len={SEQ_LEN}", "--set", "rows_per_shard=64"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def shards(tokenizer_dir, tmp_path_factory) -> Path:
    return build(tokenizer_dir, tmp_path_factory.mktemp("shards") / "out")


def read_rows(directory: Path) -> list[dict]:
    manifest = json.loads((directory / "manifest.json").read_text())
    rows = []
    for entry in manifest["shards"]:
        rows.extend(pq.read_table(directory / entry["file"]).to_pylist())
    return rows


def source_documents() -> dict[str, dict]:
    config = load_mixture(str(MIXTURE))
    return {d["id"]: d for s in config.sources for p in s.paths for d in iter_documents(p)}


def test_shares_rows_and_manifest(shards):
    manifest = json.loads((shards / "manifest.json").read_text())
    weights = load_mixture(str(MIXTURE)).weights()
    rows = read_rows(shards)
    assert rows and all(len(r[c]) == SEQ_LEN for r in rows for c in
                        ("input_ids", "attention_mask", "segment_ids", "position_ids", "loss_mask"))
    per_source: dict[str, int] = {}
    for r in rows:
        seg = np.array(r["segment_ids"])
        for k, src in enumerate(r["segment_sources"], 1):
            per_source[src] = per_source.get(src, 0) + int((seg == k).sum())
    total = sum(per_source.values())
    assert set(per_source) == set(weights)
    for name, weight in weights.items():
        assert abs(per_source[name] / total - weight) < 0.005, (name, per_source[name] / total, weight)
    # some sources are repeated (epochs > 1), some subsampled, as in GPT-3's table
    epochs = {m["source"]: m["epochs"] for m in manifest["mixture"]}
    assert min(epochs.values()) < 1 < max(epochs.values())
    assert manifest["seq_len"] == SEQ_LEN and manifest["totals"]["rows"] == len(rows)
    assert manifest["totals"]["pad_tokens"] == sum(SEQ_LEN - sum(r["attention_mask"]) for r in rows)
    # rows are packed per source (the blend needs one source per row): a partly filled last row per source
    assert manifest["totals"]["pad_fraction"] < 0.025
    for entry in manifest["shards"]:
        assert hashlib.sha256((shards / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert len(manifest["shards"]) > 1 and manifest["shards"][0]["file"].endswith(f"-of-{len(manifest['shards']):05d}.parquet")


def test_segments_decode_to_documents_and_short_ones_are_never_split(shards, tokenizer_dir):
    import tokenizer

    tok = tokenizer.load(tokenizer_dir)
    docs = source_documents()
    encoded = {i: np.array(tok.encode(d["text"]) + [tok.eos_id]) for i, d in docs.items()}
    whole = split = 0
    for r in read_rows(shards):
        ids, seg = np.array(r["input_ids"]), np.array(r["segment_ids"])
        for k, (doc_id, offset) in enumerate(zip(r["segment_doc_ids"], r["segment_offsets"]), 1):
            tokens = ids[seg == k]
            doc = encoded[doc_id]
            assert np.array_equal(tokens, doc[offset:offset + len(tokens)])
            if len(doc) <= SEQ_LEN:  # best_fit never cuts a document that fits in a row
                assert offset == 0 and len(tokens) == len(doc)
                assert tok.decode(tokens[:-1].tolist()) == docs[doc_id]["text"]
                whole += 1
            else:
                split += 1
            assert list(np.array(r["position_ids"])[seg == k]) == list(range(len(tokens)))
    assert whole > 100 and split > 0


def test_identical_input_and_seed_give_identical_bytes(shards, tokenizer_dir, tmp_path):
    again = build(tokenizer_dir, tmp_path / "again")
    names = sorted(p.name for p in shards.glob("shard-*.parquet"))
    assert names == sorted(p.name for p in again.glob("shard-*.parquet"))
    for name in names + ["manifest.json"]:
        assert (shards / name).read_bytes() == (again / name).read_bytes(), name
    other = build(tokenizer_dir, tmp_path / "other", "seed=99")
    assert (other / "manifest.json").read_bytes() != (shards / "manifest.json").read_bytes()


def test_tokenize_batches_and_background_threads_do_not_change_bytes(shards, tokenizer_dir, tmp_path):
    """Tiny encode batches (many in flight on the background encoder) give the same shards and manifest."""
    small = build(tokenizer_dir, tmp_path / "small", "tokenize_batch_size=7")
    for path in sorted(shards.glob("shard-*.parquet")) + [shards / "manifest.json"]:
        assert (small / path.name).read_bytes() == path.read_bytes(), path.name


def test_reader_splits_over_workers_and_ranks_and_resumes(shards):
    import torch
    from torch.utils.data import DataLoader

    from curation.shards import ShardDataset

    rows = read_rows(shards)
    seen = []
    for rank in range(2):
        dataset = ShardDataset(str(shards), rank=rank, world_size=2)
        loader = DataLoader(dataset, batch_size=4, num_workers=2)
        got = [int(i) for batch in loader for i in batch["index"]]
        block = range(rank * len(rows) // 2, (rank + 1) * len(rows) // 2)  # a contiguous block per rank
        assert len(got) == len(dataset) and sorted(got) == list(block)
        seen += got
    assert sorted(seen) == list(range(len(rows)))  # every row exactly once
    sample = next(iter(ShardDataset(str(shards), start=7)))
    assert int(sample["index"]) == 7 and sample["input_ids"].dtype == torch.long
    assert sample["input_ids"].tolist() == rows[7]["input_ids"]
    assert sample["segment_ids"].tolist() == rows[7]["segment_ids"]
    # resuming after m samples per consumer (C = 2 ranks x 1 worker) continues exactly
    first = [int(s["index"]) for s in ShardDataset(str(shards), rank=1, world_size=2)]
    resumed = [int(s["index"]) for s in ShardDataset(str(shards), rank=1, world_size=2, start=2 * 5)]
    assert resumed == first[5:]


def test_corrupt_shard_is_refused(shards, tmp_path, capsys):
    from curation.shards import ShardCorruptError, ShardDataset

    broken = tmp_path / "broken"
    shutil.copytree(shards, broken)
    victim = sorted(broken.glob("shard-*.parquet"))[1]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(ShardCorruptError, match=f"shard .*{victim.name} is corrupt: sha256"):
        list(ShardDataset(str(broken)))
    assert main(["shards", "export-megatron", str(broken), "--output", str(tmp_path / "mg")]) == 2
    assert "is corrupt" in capsys.readouterr().err


def megatron_reader(prefix: str):
    """megatron-core's own ``IndexedDataset`` (pinned in requirements-dev.txt), else the project's reader."""
    try:
        from megatron.core.datasets.indexed_dataset import IndexedDataset
    except ImportError:  # pragma: no cover - megatron-core is a test pin
        from curation.shards.megatron import MegatronIndexedDataset

        return MegatronIndexedDataset(prefix)
    return IndexedDataset(prefix)


def test_megatron_export_has_one_document_per_source_document(shards, tokenizer_dir, tmp_path, capsys):
    import tokenizer

    prefix = tmp_path / "mg" / "toy_text_document"
    assert main(["shards", "export-megatron", str(shards), "--output", str(prefix)]) == 0
    assert "whole documents" in capsys.readouterr().out
    ds = megatron_reader(str(prefix))
    tok = tokenizer.load(tokenizer_dir)
    by_tokens = {np.array(tok.encode(d["text"]) + [tok.eos_id], np.uint16).tobytes(): i
                 for i, d in source_documents().items()}
    copies: dict[str, int] = {}  # every copy of a document starts with its offset-0 segment
    for r in read_rows(shards):
        for doc_id, offset in zip(r["segment_doc_ids"], r["segment_offsets"]):
            copies[doc_id] = copies.get(doc_id, 0) + (offset == 0)
    exported: dict[str, int] = {}
    for i in range(len(ds)):
        doc_id = by_tokens[np.asarray(ds[i], np.uint16).tobytes()]  # KeyError: not a whole document
        exported[doc_id] = exported.get(doc_id, 0) + 1
    assert exported == copies and max(len(ds[i]) for i in range(len(ds))) > SEQ_LEN
    assert list(ds.document_indices) == list(range(len(ds) + 1))


def test_megatron_export_per_segment_reads_back(shards, tmp_path):
    prefix = tmp_path / "mg" / "toy_text_document"
    assert main(["shards", "export-megatron", str(shards), "--output", str(prefix), "--per-segment"]) == 0
    ds = megatron_reader(str(prefix))
    expected = []
    for r in read_rows(shards):
        ids, seg = np.array(r["input_ids"]), np.array(r["segment_ids"])
        expected += [ids[seg == k] for k in range(1, len(r["segment_doc_ids"]) + 1)]
    assert len(ds) == len(expected)
    assert all(np.array_equal(ds[i], e) for i, e in enumerate(expected))
    assert list(ds.document_indices) == list(range(len(expected) + 1))
    assert (Path(str(prefix) + ".idx")).read_bytes()[:9] == b"MMIDIDX\x00\x00"


@pytest.mark.parametrize("mode", ["concat", "pad"])
def test_other_packing_modes(tokenizer_dir, tmp_path, mode):
    out = build(tokenizer_dir, tmp_path / mode, f"packing={mode}")
    rows = read_rows(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["packing"] == mode and all(len(r["input_ids"]) == SEQ_LEN for r in rows)
    if mode == "pad":
        assert all(len(r["segment_doc_ids"]) == 1 for r in rows)
        assert manifest["totals"]["dropped_tokens"] > 0
    else:
        # only the last row of each bucket pads (one bucket per source here)
        assert sum(1 for r in rows if 0 in r["attention_mask"]) <= len(manifest["mixture"])


def test_bad_mixture_is_a_clear_error(tokenizer_dir, tmp_path, capsys):
    assert main(["shards", "--mixture", str(MIXTURE), "--tokenizer", tokenizer_dir,
                 "--output", str(tmp_path / "x"), "--set", "packing=zigzag"]) == 2
    assert "packing" in capsys.readouterr().err
    assert main(["shards", "--mixture", str(MIXTURE), "--output", str(tmp_path / "x")]) == 2
    assert "--tokenizer" in capsys.readouterr().err
    (tmp_path / "empty.jsonl").write_text('{"text": ""}\n')
    (tmp_path / "mix.yaml").write_text(
        f"sources:\n  - {{name: web, paths: {REPO}/examples/mixture-gpt3/webtext2.jsonl.gz, weight: 1}}\n"
        "  - {name: nothing, paths: empty.jsonl, weight: 1}\ntotal_tokens: 5000\nseq_len: 128\n")
    assert main(["shards", "--mixture", str(tmp_path / "mix.yaml"), "--tokenizer", tokenizer_dir,
                 "--output", str(tmp_path / "y")]) == 2
    assert "mixture source 'nothing' has no tokens" in capsys.readouterr().err
