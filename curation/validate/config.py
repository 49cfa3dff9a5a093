"""``ValidateConfig``: every knob of ``curation validate`` with its default and reason."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation.config import StageConfig


class ValidateConfig(StageConfig):
    # Proxy model and training (the held-out mixture sample).
    model: Literal["tiny", "small", "gpt2-124m"] = "tiny"  # tiny is CPU-friendly; small on GPU
    steps: int = Field(100, ge=0, description="optimiser steps on the mixture sample")
    batch_size: int = Field(16, ge=1)
    lr: float = Field(3e-3, gt=0)
    warmup_steps: int = Field(10, ge=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    weight_decay: float = Field(0.1, ge=0)
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$")  # auto = cuda when available, else cpu
    compile: bool | None = None  # None = torch.compile on CUDA only (~50 s cold on CPU)
    seed: int = 1234
    max_seq_len: int | None = Field(None, ge=2, description="truncate rows for the proxy (speed)")

    # Row sampling per shard: training rows feed the mixture sample, eval rows are held out.
    train_rows_per_shard: int = Field(64, ge=1)
    eval_rows_per_shard: int = Field(16, ge=1)

    # Learnability probe: loss drop on a shard's eval rows after a few steps on that shard alone.
    probe_steps: int = Field(5, ge=0)
    probe_lr: float = Field(1e-3, gt=0)

    # Loss outliers: robust z = (loss - median) / (1.4826 * max(MAD, mad_floor * median)).
    loss_z_max: float = Field(3.5, gt=0)
    mad_floor: float = Field(0.02, ge=0, description="MAD floor relative to the median loss")
    min_shards_for_outliers: int = Field(4, ge=2, description="fewer shards: no z-scores")
    learnability_z_max: float | None = None  # None: report the probe's z-score without flagging

    # Token statistics.
    unigram_js_max: float = Field(0.25, ge=0, le=1, description="JS divergence (bits) vs the rest")
    repeated_fraction_max: float = Field(0.1, ge=0, le=1)
    repeat_min_tokens: int = Field(16, ge=1, description="shorter segments are not repeat-counted")
    pad_fraction_max: float = Field(0.5, ge=0, le=1)
    loss_target_fraction_min: float = Field(
        0.5, ge=0, le=1, description="a row, and a shard, with a smaller share of its real tokens as loss "
        "targets fails (a shard that trains nothing would pass every other check)")
