"""Loss z-scores of planted bad shards among blended good ones (issue 17 item 3).

    python bench/planted_shards.py [--docs 3000] [--shards 20] [--steps 100] [--device cpu]

Builds real shards with ``curation shards`` (3 sources at 0.5/0.3/0.2, the blend order, so every
shard has the same mix), replaces six of them with planted defects made from good shards, fixes
the manifest's checksums and counts (so only the planted defect is wrong), runs ``curation
validate --model tiny`` at its default steps and prints every shard's loss, loss z-score and
reasons. Planted: random token ids, another tokenizer (a permuted vocabulary, and the file says
so), tokens shuffled within rows, one document repeated, no loss targets, all padding.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402

PER_TOKEN = ("input_ids", "attention_mask", "segment_ids", "position_ids", "loss_mask")
PLANTS = ("random_ids", "other_tokenizer", "shuffled_within_rows", "one_document_repeated", "no_loss_targets",
          "all_padding")


def _read(path: Path, seq_len: int) -> tuple[dict, pa.Table]:
    table = pq.read_table(path)
    cols = {k: table.column(k).combine_chunks().flatten().to_numpy().reshape(-1, seq_len).copy() for k in PER_TOKEN}
    return cols, table


def _write(path: Path, table: pa.Table, cols: dict, seq_len: int, tokenizer_sha: str | None = None) -> None:
    arrays = []
    for field in table.schema:
        if field.name in cols:
            flat = pa.array(cols[field.name].ravel(), field.type.value_type)
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, seq_len))
        else:
            arrays.append(table.column(field.name).combine_chunks())
    meta = dict(table.schema.metadata or {})
    if tokenizer_sha:
        meta[b"tokenizer_sha256"] = tokenizer_sha.encode()
    pq.write_table(pa.Table.from_arrays(arrays, schema=table.schema.with_metadata(meta)), path, compression="zstd")


def plant(kind: str, cols: dict, table: pa.Table, vocab: int, pad: int, rng: np.random.Generator
          ) -> tuple[dict, pa.Table, str | None]:
    real = cols["attention_mask"] == 1
    ids = cols["input_ids"]
    if kind == "random_ids":
        ids[real] = rng.integers(3, vocab, int(real.sum()))
    elif kind == "other_tokenizer":
        perm = np.arange(vocab)
        perm[3:] = 3 + rng.permutation(vocab - 3)
        ids[real] = perm[ids[real]]
        return cols, table, "f" * 64
    elif kind == "shuffled_within_rows":
        for r in range(len(ids)):
            where = np.flatnonzero(real[r])
            ids[r, where] = ids[r, rng.permutation(where)]
    elif kind == "one_document_repeated":
        for k in PER_TOKEN:
            cols[k][:] = cols[k][0]
        table = table.take(np.zeros(len(ids), np.int64))
    elif kind == "no_loss_targets":
        cols["loss_mask"][:] = 0
    elif kind == "all_padding":
        for k in PER_TOKEN:
            cols[k][:] = 0
        ids[:] = pad
        empty = pa.array([[] for _ in range(len(ids))])
        table = table.set_column(table.schema.get_field_index("segment_sources"), "segment_sources",
                                 empty.cast(pa.list_(pa.string())))
        table = table.set_column(table.schema.get_field_index("segment_doc_ids"), "segment_doc_ids",
                                 empty.cast(pa.list_(pa.string())))
        table = table.set_column(table.schema.get_field_index("segment_offsets"), "segment_offsets",
                                 empty.cast(pa.list_(pa.int32())))
    return cols, table, None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=None, help="proxy steps (default: validate's default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--validate-set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="validate settings (e.g. probe_steps=1 batch_size=4)")
    fast = ["probe_steps=1", "batch_size=2", "eval_rows_per_shard=4"]
    args = harness.parse_args(parser, argv, quick={"docs": 1000, "steps": 20},
                              smoke={"docs": 300, "steps": 4, "validate_set": fast})
    os.environ.setdefault("CURATION_BEAM_MODE", "in_memory")
    from bench.shards import make_blend_corpus, train_bench_tokenizer
    from curation.io.docfiles import iter_texts
    from pipelines.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        mixture, _ = make_blend_corpus(Path(tmp), args.docs)
        tok = str(Path(tmp) / "tokenizer")
        train_bench_tokenizer(list(iter_texts([str(Path(tmp) / "books.jsonl.gz")])), tok)
        out = Path(tmp) / "shards"
        assert cli(["shards", "--mixture", str(mixture), "--tokenizer", tok, "--output", str(out)]) == 0
        manifest = json.loads((out / "manifest.json").read_text())
        seq_len, vocab, pad = manifest["seq_len"], manifest["vocab_size"], manifest["pad_id"]
        rng = np.random.default_rng(0)
        planted = {}
        for kind, entry in zip(PLANTS, manifest["shards"][-len(PLANTS):]):
            path = out / entry["file"]
            cols, table = _read(path, seq_len)
            cols, table, sha = plant(kind, cols, table, vocab, pad, rng)
            _write(path, table, cols, seq_len, sha)
            real = int(cols["attention_mask"].sum())
            entry.update(sha256=hashlib.sha256(path.read_bytes()).hexdigest(), real_tokens=real,
                         pad_tokens=entry["tokens"] - real)
            planted[entry["file"]] = kind
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
        steps = ["--steps", str(args.steps)] if args.steps is not None else []
        cli(["validate", str(out), "--report", str(Path(tmp) / "report"), "--model", "tiny",
             "--device", args.device, *steps, *[f"--set={kv}" for kv in args.validate_set]])
        result = json.loads((Path(tmp) / "report" / "validation.json").read_text())
    print(f"\nproxy: {result['proxy'].get('steps')} steps, tiny preset, {len(result['shards'])} shards "
          f"({len(planted)} planted)")
    head = f"{'shard':<30}{'planted':<24}{'loss':>8}{'loss z':>9}  reasons"
    print(head + "\n" + "-" * (len(head) + 20))
    good = []
    for d in result["shards"]:
        loss, z = d.get("loss"), d.get("loss_z")
        if d["file"] not in planted and z is not None:
            good.append(z)
        print(f"{d['file']:<30}{planted.get(d['file'], '-'):<24}{'-' if loss is None else f'{loss:.3f}':>8}"
              f"{'-' if z is None else f'{z:.2f}':>9}  {', '.join(d['reasons'])}")
    print(f"good shards: loss z from {min(good):.2f} to {max(good):.2f} (max |z| {max(map(abs, good)):.2f})")


if __name__ == "__main__":
    main()
