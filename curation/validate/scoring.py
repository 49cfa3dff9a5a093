"""Robust outlier scores and the per-shard verdict."""
from __future__ import annotations

import numpy as np

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


def robust_z(values: dict[str, float], mad_floor: float, min_count: int) -> dict[str, float | None]:
    """(x - median) / (1.4826 * MAD) per key; None for all when fewer than ``min_count`` values.

    The MAD is floored at ``mad_floor * |median|`` so that a set of near-identical good
    shards does not turn tiny evaluation noise into huge z-scores.
    """
    keys = [k for k, v in values.items() if v is not None]
    if len(keys) < min_count:
        return {k: None for k in values}
    x = np.array([values[k] for k in keys], dtype=np.float64)
    med = float(np.median(x))
    mad = max(float(np.median(np.abs(x - med))), mad_floor * abs(med), 1e-12)
    z = {k: (values[k] - med) / (MAD_TO_SIGMA * mad) for k in keys}
    return {k: z.get(k) for k in values}


def verdict_reasons(shard: dict, cfg) -> list[str]:
    """Why a shard fails, in a fixed order; an empty list means it passes."""
    reasons = [f"check:{name}" for name, c in shard["checks"].items() if not c["ok"]]
    z = shard.get("loss_z")
    if z is not None and abs(z) > cfg.loss_z_max:
        reasons.append("loss_outlier_high" if z > 0 else "loss_outlier_low")
    js = shard.get("unigram_js")
    if js is not None and js > cfg.unigram_js_max:
        reasons.append("unigram_divergence")
    stats = shard.get("stats") or {}
    if max(stats.get("repeated_row_fraction", 0.0), stats.get("repeated_token_fraction", 0.0)) \
            > cfg.repeated_fraction_max:
        reasons.append("repeated_rows")
    if stats and stats.get("pad_fraction", 0.0) > cfg.pad_fraction_max:
        reasons.append("mostly_padding")
    lz = (shard.get("learnability") or {}).get("z")
    if cfg.learnability_z_max is not None and lz is not None and abs(lz) > cfg.learnability_z_max:
        reasons.append("learnability_outlier")
    return reasons
