"""Train the proxy on the mixture sample, then score every shard's held-out rows.

Per shard: mean next-token loss of the trained proxy, and a learnability probe — the
loss drop on the shard's held-out rows after ``probe_steps`` steps on its training rows
alone (weights are restored after every probe, so shards do not influence each other).
"""
from __future__ import annotations

import copy

import numpy as np

from curation.proxy.model import ProxyLM, preset
from curation.proxy.train import (
    BATCH_KEYS,
    TrainSettings,
    evaluate,
    maybe_compile,
    resolve_device,
    sample_batches,
    seed_everything,
    train,
)
from curation.validate.scan import ShardScan


def _truncate(rows: dict[str, np.ndarray], width: int | None) -> dict[str, np.ndarray]:
    return rows if width is None else {k: v[:, :width] for k, v in rows.items()}


def run_proxy(scans: list[ShardScan], trainable: list[str], seq_len: int, vocab_size: int, cfg
              ) -> tuple[dict, dict[str, dict]]:
    """(summary of the proxy run, per shard file: loss and learnability) for shards with data."""
    device = resolve_device(cfg.device)
    width = min(seq_len, cfg.max_seq_len or seq_len)
    usable = [s for s in scans if s.eval_rows is not None]
    pool_parts = [s.train_rows for s in usable if s.file in trainable and s.train_rows is not None]
    seed_everything(cfg.seed)
    model = ProxyLM(preset(cfg.model, vocab_size=vocab_size, seq_len=width)).to(device)
    runner = maybe_compile(model, device, cfg.compile)
    settings = TrainSettings(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                             min_lr_ratio=cfg.min_lr_ratio, warmup_steps=cfg.warmup_steps,
                             weight_decay=cfg.weight_decay)
    losses: list[float] = []
    pool_rows = 0
    if pool_parts and cfg.steps:
        pool = _truncate({k: np.concatenate([p[k] for p in pool_parts]) for k in BATCH_KEYS}, width)
        pool_rows = len(pool["input_ids"])
        losses = train(runner, sample_batches(pool, cfg.batch_size, cfg.seed), settings, device)

    results: dict[str, dict] = {}
    for s in usable:
        total, count = evaluate(runner, _truncate(s.eval_rows, width), device, cfg.batch_size)
        results[s.file] = {"loss": total / count if count else None, "eval_tokens": count}
    base = copy.deepcopy(model.state_dict())
    probe = TrainSettings(steps=cfg.probe_steps, batch_size=cfg.batch_size, lr=cfg.probe_lr,
                          min_lr_ratio=1.0, warmup_steps=0, weight_decay=0.0)
    for s in usable:
        before = results[s.file]["loss"]
        if not cfg.probe_steps or s.train_rows is None or before is None:
            results[s.file]["learnability"] = None
            continue
        seed_everything(cfg.seed)
        train(runner, sample_batches(_truncate(s.train_rows, width), cfg.batch_size, cfg.seed), probe, device)
        total, count = evaluate(runner, _truncate(s.eval_rows, width), device, cfg.batch_size)
        results[s.file]["learnability"] = before - total / count
        model.load_state_dict(base)
    summary = {
        "model": cfg.model, "params": model.num_params(), "device": device.type,
        "seq_len": width, "steps": len(losses), "train_rows": pool_rows,
        "trained_on": sorted(s.file for s in usable if s.file in trainable),
        "train_loss_first": losses[0] if losses else None,
        "train_loss_last": float(np.mean(losses[-5:])) if losses else None,
    }
    return summary, results
