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


def expected_repeat_share(mixture: list[dict] | None) -> float:
    """The share of tokens the mixture itself repeats: a source taken for ``e > 1`` epochs
    repeats ``1 - 1/e`` of its tokens. Repeated segments up to this share are by design."""
    total = sum(row.get("tokens_taken", 0) for row in mixture or [])
    if not total:
        return 0.0
    return sum(row.get("tokens_taken", 0) / total * max(0.0, 1.0 - 1.0 / row["epochs"])
               for row in mixture if row.get("epochs"))


def verdict_reasons(shard: dict, cfg, repeat_allowance: float = 0.0) -> list[str]:
    """Why a shard fails, in a fixed order; an empty list means it passes.

    ``repeat_allowance`` (see :func:`expected_repeat_share`) raises the limit on repeated
    segments, not on repeated whole rows: a mixture with several epochs repeats documents,
    but best-fit packing almost never rebuilds the same row.
    """
    reasons = [f"check:{name}" for name, c in shard["checks"].items() if not c["ok"]]
    z = shard.get("loss_z")
    if z is not None and abs(z) > cfg.loss_z_max:
        reasons.append("loss_outlier_high" if z > 0 else "loss_outlier_low")
    js = shard.get("unigram_js")
    if js is not None and js > cfg.unigram_js_max:
        reasons.append("unigram_divergence")
    stats = shard.get("stats") or {}
    if stats.get("repeated_row_fraction", 0.0) > cfg.repeated_fraction_max or \
            stats.get("repeated_token_fraction", 0.0) > cfg.repeated_fraction_max + repeat_allowance:
        reasons.append("repeated_rows")
    if stats and stats.get("pad_fraction", 0.0) > cfg.pad_fraction_max:
        reasons.append("mostly_padding")
    lz = (shard.get("learnability") or {}).get("z")
    if cfg.learnability_z_max is not None and lz is not None and abs(lz) > cfg.learnability_z_max:
        reasons.append("learnability_outlier")
    return reasons
