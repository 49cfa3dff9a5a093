"""One pass over one shard file: structural checks, token statistics and sampled rows.

The file is read record batch by record batch (bounded memory); the rows the proxy
trains on and the held-out rows it is evaluated on are picked up on the way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation.io.parquet_batches import iter_batches
from curation.io.paths import exists, is_local, open_read
from curation.proxy.train import BATCH_KEYS
from curation.shards.manifest import file_sha256
from curation.validate import checks
from curation.validate.stats import TokenStats

# A failure of any of these makes the rows unusable by the proxy (it would crash or mislead it).
DATA_CHECKS = ("exists", "readable", "schema", "token_range", "padding", "segments")
# Optional Parquet key-value metadata a writer may stamp on each shard.
TOKENIZER_META_KEY = b"tokenizer_sha256"


@dataclass
class ShardScan:
    file: str
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: TokenStats | None = None
    train_rows: dict[str, np.ndarray] | None = None
    eval_rows: dict[str, np.ndarray] | None = None

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks[name] = {"ok": bool(ok), "detail": detail}
        return ok

    @property
    def data_ok(self) -> bool:
        return all(self.checks.get(n, {"ok": True})["ok"] for n in DATA_CHECKS) and \
            "schema" in self.checks


def split_rows(num_rows: int, n_train: int, n_eval: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded disjoint (train, eval) row indices; small shards give a quarter to eval."""
    order = np.random.default_rng(seed).permutation(num_rows)
    n_eval = min(n_eval, max(1, num_rows // 4)) if num_rows > 1 else num_rows
    n_train = min(n_train, num_rows - n_eval)
    return np.sort(order[n_eval:n_eval + n_train]), np.sort(order[:n_eval])


def column_matrix(batch: pa.RecordBatch, name: str, seq_len: int) -> np.ndarray:
    arr = batch.column(name)
    return arr.flatten().to_numpy(zero_copy_only=False).reshape(len(arr), seq_len)


def scan_shard(path: str, entry: dict | None, manifest: dict, cfg, seed: int) -> ShardScan:
    """Check one shard file (any filesystem) against the manifest ``entry`` (None when it is not listed)."""
    path = str(path)
    scan = ShardScan(file=path.rsplit("/", 1)[-1])
    found = exists(path)
    if not scan.check("exists", found, "" if found else "file is missing"):
        return scan
    listed = entry is not None
    scan.check("listed", listed, "" if listed else "file is not listed in manifest.json")
    if listed:
        digest = file_sha256(path)
        ok = digest == entry.get("sha256")
        scan.check("checksum", ok, "" if ok else f"sha256 {digest[:16]}... != manifest {str(entry.get('sha256'))[:16]}...")
    if is_local(path):  # Arrow reads a local path natively
        return _scan_file(scan, path, entry, manifest, cfg, seed)
    with open_read(path) as fh:
        return _scan_file(scan, fh, entry, manifest, cfg, seed)


def _scan_file(scan: ShardScan, source, entry: dict | None, manifest: dict, cfg, seed: int) -> ShardScan:
    seq_len, listed = int(manifest["seq_len"]), entry is not None
    try:
        pf = pq.ParquetFile(source)
    except Exception as exc:  # noqa: BLE001 - any Arrow/IO error means unreadable
        scan.check("readable", False, f"{type(exc).__name__}: {exc}")
        return scan
    scan.check("readable", True)
    problems = checks.schema_problems(pf.schema_arrow, seq_len)
    if not scan.check("schema", not problems, "; ".join(problems)):
        return scan
    meta = pf.schema_arrow.metadata or {}
    if TOKENIZER_META_KEY in meta:
        want = ((manifest.get("tokenizer") or {}).get("sha256") or "").encode()
        ok = meta[TOKENIZER_META_KEY] == want
        scan.check("tokenizer", ok, "" if ok else "shard was tokenised with a different tokenizer "
                   f"({meta[TOKENIZER_META_KEY].decode()[:16]}... != manifest {want.decode()[:16]}...)")
    try:
        _scan_rows(scan, pf, manifest, cfg, seed)
    except Exception as exc:  # noqa: BLE001 - a damaged page (bit flip) fails this shard, not the run
        scan.check("readable", False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])
        scan.stats = scan.train_rows = scan.eval_rows = None
        return scan
    if listed:
        _check_counts(scan, entry)
    return scan


def _scan_rows(scan: ShardScan, pf: pq.ParquetFile, manifest: dict, cfg, seed: int) -> None:
    seq_len, vocab, pad_id = int(manifest["seq_len"]), int(manifest["vocab_size"]), int(manifest["pad_id"])
    train_idx, eval_idx = split_rows(pf.metadata.num_rows, cfg.train_rows_per_shard,
                                     cfg.eval_rows_per_shard, seed)
    stats = TokenStats(vocab, cfg.repeat_min_tokens)
    bad = {"token_range": 0, "padding": 0, "segments": 0, "non_empty_rows": 0, "nulls": 0, "loss_targets": 0}
    real_tokens = targets = 0
    picked: dict[str, list[dict]] = {"train": [], "eval": []}
    offset = 0
    for batch in iter_batches(pf, 1024):
        n = batch.num_rows
        bad["nulls"] += sum(batch.column(i).null_count for i in range(batch.num_columns))
        if bad["nulls"]:
            break
        cols = {k: column_matrix(batch, k, seq_len) for k in
                ("input_ids", "attention_mask", "segment_ids", "position_ids", "loss_mask")}
        ids, mask, seg = cols["input_ids"], cols["attention_mask"], cols["segment_ids"]
        per_segment = [batch.column(c).value_lengths().to_numpy(zero_copy_only=False)
                       for c in checks.per_segment_columns(seq_len)]
        bad["token_range"] += checks.out_of_range_rows(ids, vocab)
        bad["padding"] += checks.padding_rows(ids, mask, cols["loss_mask"], pad_id)
        bad["segments"] += checks.segment_rows(seg, cols["position_ids"], mask, per_segment)
        bad["non_empty_rows"] += checks.empty_rows(mask)
        real, target = checks.loss_target_counts(mask, cols["loss_mask"])
        bad["loss_targets"] += int(((real > 0) & (target < cfg.loss_target_fraction_min * real)).sum())
        real_tokens, targets = real_tokens + int(real.sum()), targets + int(target.sum())
        stats.add(ids, mask, seg)
        for name, idx in (("train", train_idx), ("eval", eval_idx)):
            local = idx[(idx >= offset) & (idx < offset + n)] - offset
            if len(local):
                picked[name].append({k: cols[k][local] for k in BATCH_KEYS})
        offset += n
    if bad["nulls"]:
        scan.check("schema", False, f"{bad['nulls']} null values")
        return
    for name in ("token_range", "padding", "segments", "non_empty_rows"):
        scan.check(name, bad[name] == 0, f"{bad[name]} of {offset} rows" if bad[name] else "")
    share = targets / real_tokens if real_tokens else 1.0  # no real tokens: non_empty_rows says so
    floor = cfg.loss_target_fraction_min
    scan.check("loss_targets", bad["loss_targets"] == 0 and share >= floor,
               f"{share:.1%} of real tokens are loss targets; {bad['loss_targets']} of {offset} rows "
               f"below the floor of {floor:.0%}" if bad["loss_targets"] or share < floor else "")
    scan.stats = stats
    if scan.data_ok:
        scan.train_rows, scan.eval_rows = (_stack(picked["train"]), _stack(picked["eval"]))


def _stack(parts: list[dict]) -> dict[str, np.ndarray] | None:
    if not parts:
        return None
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _check_counts(scan: ShardScan, entry: dict) -> None:
    if scan.stats is None:
        return
    got = scan.stats.summary()
    wrong = [f"{k} {got[k]} != manifest {entry[k]}" for k in ("rows", "tokens", "real_tokens", "pad_tokens")
             if k in entry and entry[k] != got[k]]
    scan.check("counts", not wrong, "; ".join(wrong))
