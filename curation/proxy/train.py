"""Training and evaluation loops for the proxy LM: one code path for CPU and CUDA.

AdamW with a cosine schedule after a linear warmup; bf16 autocast and ``torch.compile``
on CUDA (compile is opt-in on CPU, where the first compiled step costs ~50 s);
everything seeded, so the same rows and seed give the same losses on the same device.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from curation.proxy.model import IGNORE_INDEX, ProxyLM, next_token_targets

BATCH_KEYS = ("input_ids", "segment_ids", "position_ids", "loss_mask")


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 100
    batch_size: int = 16
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 10
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` is CUDA when present, else CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA device")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def autocast(device: torch.device):
    """bf16 autocast on CUDA; CPU runs in fp32 (CPU bf16 matmuls are slower on most hosts)."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def maybe_compile(model: ProxyLM, device: torch.device, compile: bool | None = None):
    """``compile=None`` means on for CUDA, off for CPU; falls back to eager if unavailable."""
    if compile is None:
        compile = device.type == "cuda"
    if compile and hasattr(torch, "compile"):
        return torch.compile(model)
    return model


def cosine_lr(step: int, settings: TrainSettings) -> float:
    """Linear warmup to ``lr``, then cosine decay to ``lr * min_lr_ratio`` at the last step."""
    peak, floor = settings.lr, settings.lr * settings.min_lr_ratio
    if step < settings.warmup_steps:
        return peak * (step + 1) / settings.warmup_steps
    span = max(1, settings.steps - settings.warmup_steps)
    progress = min(1.0, (step - settings.warmup_steps) / span)
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))


def make_optimizer(model: torch.nn.Module, settings: TrainSettings, device: torch.device):
    """AdamW; weight decay only on matrices (not norms), fused kernels on CUDA."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": settings.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=settings.lr, betas=settings.betas,
                             fused=device.type == "cuda")


def to_batch(rows: dict[str, np.ndarray], device: torch.device) -> dict[str, torch.Tensor]:
    """numpy row arrays (the shard columns) -> int64 tensors on ``device``."""
    return {k: torch.from_numpy(np.ascontiguousarray(rows[k], dtype=np.int64)).to(device)
            for k in BATCH_KEYS}


def sample_batches(rows: dict[str, np.ndarray], batch_size: int, seed: int) -> Iterator[dict]:
    """Endless seeded batches of rows drawn without replacement within each pass."""
    n = len(rows["input_ids"])
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
            pick = np.sort(order[start:start + batch_size])
            yield {k: rows[k][pick] for k in BATCH_KEYS}


def loss_on(model, batch: dict[str, torch.Tensor], device: torch.device):
    targets = next_token_targets(batch["input_ids"], batch["loss_mask"], batch["segment_ids"])
    with autocast(device):
        _, loss = model(batch["input_ids"], batch["segment_ids"], batch["position_ids"], targets)
    return loss


def train(model, batches: Iterator[dict], settings: TrainSettings, device: torch.device,
          optimizer=None) -> list[float]:
    """Run ``settings.steps`` optimiser steps; returns the training loss of each step."""
    model.train()
    optimizer = optimizer or make_optimizer(model, settings, device)
    losses = []
    for step in range(settings.steps):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(step, settings)
        loss = loss_on(model, to_batch(next(batches), device), device)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if settings.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def evaluate(model, rows: dict[str, np.ndarray], device: torch.device,
             batch_size: int = 16) -> tuple[float, int]:
    """(summed next-token loss, number of target tokens) over all ``rows``."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(rows["input_ids"]), batch_size):
        batch = to_batch({k: rows[k][start:start + batch_size] for k in BATCH_KEYS}, device)
        targets = next_token_targets(batch["input_ids"], batch["loss_mask"], batch["segment_ids"])
        with autocast(device):
            logits, _ = model(batch["input_ids"], batch["segment_ids"], batch["position_ids"])
        losses = torch.nn.functional.cross_entropy(
            logits.float().view(-1, logits.size(-1)), targets.view(-1),
            ignore_index=IGNORE_INDEX, reduction="sum")
        total += float(losses)
        count += int((targets != IGNORE_INDEX).sum())
    return total, count
