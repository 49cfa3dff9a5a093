"""``validate_shards``: checks, token statistics and the proxy LM over a shard directory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from curation.io.paths import is_local, join
from curation.shards.manifest import read_manifest, shard_files
from curation.validate.config import ValidateConfig
from curation.validate.proxy_eval import run_proxy
from curation.validate.scan import scan_shard
from curation.validate.scoring import expected_repeat_share, robust_z, verdict_reasons
from curation.validate.stats import js_divergence

# Reasons known before the proxy runs: such shards are kept out of its training sample.
STAT_REASONS = ("unigram_divergence", "repeated_rows", "mostly_padding")


def validate_shards(shards_dir: str | Path, cfg: ValidateConfig | None = None) -> dict[str, Any]:
    """The full validation result (what ``validation.json`` holds); writes nothing."""
    cfg = cfg or ValidateConfig()
    shards_dir = str(Path(shards_dir)) if is_local(str(shards_dir)) else str(shards_dir)
    manifest = read_manifest(shards_dir)
    allowance = expected_repeat_share(manifest.get("mixture"))
    scans = [scan_shard(join(shards_dir, name), entry, manifest, cfg, seed=cfg.seed + i)
             for i, (name, entry) in enumerate(shard_files(shards_dir, manifest))]
    with_stats = [s for s in scans if s.stats is not None]
    total = sum((s.stats.unigram for s in with_stats), np.zeros(int(manifest["vocab_size"]), np.int64))

    shards: dict[str, dict] = {}
    for s in scans:
        shards[s.file] = {"file": s.file, "checks": s.checks,
                          "stats": s.stats.summary() if s.stats else None,
                          "unigram_js": (js_divergence(s.stats.unigram, total - s.stats.unigram)
                                         if s.stats else None)}
    trainable = [f for f, d in shards.items()
                 if not any(r.startswith("check:") or r in STAT_REASONS for r in verdict_reasons(d, cfg, allowance))]
    proxy, scores = run_proxy(scans, trainable, int(manifest["seq_len"]), int(manifest["vocab_size"]), cfg)

    loss_z = robust_z({f: (scores.get(f) or {}).get("loss") for f in shards}, cfg.mad_floor,
                      cfg.min_shards_for_outliers)
    learn = {f: (scores.get(f) or {}).get("learnability") for f in shards}
    learn_z = robust_z(learn, cfg.mad_floor, cfg.min_shards_for_outliers)
    for f, d in shards.items():
        d["loss"] = (scores.get(f) or {}).get("loss")
        d["eval_tokens"] = (scores.get(f) or {}).get("eval_tokens", 0)
        d["loss_z"] = loss_z[f]
        d["learnability"] = None if learn[f] is None else {"loss_drop": learn[f], "z": learn_z[f]}
        d["reasons"] = verdict_reasons(d, cfg, allowance)
        d["verdict"] = "fail" if d["reasons"] else "pass"
    counts = {"shards": len(shards), "passed": sum(d["verdict"] == "pass" for d in shards.values())}
    counts["failed"] = counts["shards"] - counts["passed"]
    for d in shards.values():
        for reason in d["reasons"]:
            counts[f"failed:{reason}"] = counts.get(f"failed:{reason}", 0) + 1
    return {
        "shards_dir": shards_dir,
        "manifest": {k: manifest.get(k) for k in ("seq_len", "vocab_size", "pad_id", "tokenizer")},
        "config": cfg.model_dump(mode="json"),
        "proxy": proxy,
        "counts": counts,
        "passed": counts["shards"] > 0 and counts["failed"] == 0,
        "shards": list(shards.values()),
        "_segment_lengths": {s.file: s.stats.lengths() for s in with_stats},  # for plots only
    }
