"""Proxy LM training throughput: tokens/s and model FLOPs utilisation (MFU) per preset.

FLOPs per token = 6 * params + 12 * n_layer * n_embd * seq_len (PaLM appendix B; the
attention term counts the full T x T score matrix, as nanoGPT's estimate_mfu does).
MFU = achieved FLOP/s / peak FLOP/s; the peak is --peak-tflops, or detected: a table of
dense bf16 peaks for known GPUs, and for CPUs threads x clock x FP32 FLOPs/cycle from
/proc/cpuinfo (AVX-512: 64, AVX2+FMA: 32) - a rough upper bound, so read CPU MFU as indicative.

    python bench/proxy.py                              # CPU: short runs of every preset
    python bench/proxy.py --quick                      # tiny and small presets
    python bench/proxy.py --device cuda --batch-size 16 --seq-len 1024 --steps 20
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from curation.proxy.model import ProxyLM, flops_per_token, next_token_targets, preset  # noqa: E402
from curation.proxy.train import (  # noqa: E402
    TrainSettings,
    autocast,
    make_optimizer,
    maybe_compile,
    resolve_device,
    seed_everything,
)

GPU_BF16_PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0, "A10": 125.0}


def cpu_peak_tflops() -> float:
    flags, mhz = "", 0.0
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("flags") and not flags:
                flags = line
            elif line.startswith("cpu MHz") and not mhz:
                mhz = float(line.split(":")[1])
    per_cycle = 64 if "avx512f" in flags else 32 if ("avx2" in flags and "fma" in flags) else 8
    return torch.get_num_threads() * (mhz or 2000.0) * 1e6 * per_cycle / 1e12


def peak_tflops(device: torch.device, given: float | None) -> float:
    if given:
        return given
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, value in GPU_BF16_PEAK_TFLOPS.items():
            if key in name:
                return value
        raise SystemExit(f"unknown GPU {name!r}: pass --peak-tflops")
    return cpu_peak_tflops()


def packed_segments(batch: int, seq_len: int, docs: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """``docs`` equal documents per row: exercises the block-diagonal mask path."""
    size = seq_len // docs
    seg = (torch.arange(seq_len, device=device) // size).clamp(max=docs - 1) + 1
    pos = torch.arange(seq_len, device=device) - (seg - 1) * size
    return seg.expand(batch, seq_len).contiguous(), pos.expand(batch, seq_len).contiguous()


def bench_preset(name: str, args, device: torch.device) -> dict:
    seed_everything(0)
    cfg = preset(name, seq_len=args.seq_len)
    model = ProxyLM(cfg).to(device)
    runner = maybe_compile(model, device, args.compile)
    opt = make_optimizer(model, TrainSettings(lr=1e-4), device)
    ids = torch.randint(0, cfg.vocab_size, (args.batch_size, args.seq_len), device=device)
    seg = pos = None
    if args.docs_per_row > 1:
        seg, pos = packed_segments(args.batch_size, args.seq_len, args.docs_per_row, device)
    targets = next_token_targets(ids, None, seg)

    def step():
        with autocast(device):
            _, loss = runner(ids, seg, pos, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    tokens = args.batch_size * args.seq_len * args.steps
    tok_s = tokens / statistics.median(times)
    achieved = tok_s * flops_per_token(cfg, model.num_params(), args.seq_len) / 1e12
    return {"preset": name, "params": model.num_params(), "tok_s": tok_s, "tflops": achieved}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--presets", default="tiny,small,gpt2-124m")
    p.add_argument("--device", default="auto")
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--steps", type=int, default=2, help="timed steps per repeat")
    p.add_argument("--repeats", type=int, default=3, help="the median repeat is reported")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--docs-per-row", type=int, default=1, help=">1: packed rows, block-diagonal mask")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile (default: on for CUDA, off for CPU)")
    p.add_argument("--peak-tflops", type=float, help="peak FLOP/s of the device, in TFLOP/s")
    args = harness.parse_args(p, argv, quick={"presets": "tiny,small", "repeats": 3},
                              smoke={"presets": "tiny", "repeats": 1, "seq_len": 64})
    device = resolve_device(args.device)
    peak = peak_tflops(device, args.peak_tflops)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()}"
    print(f"device {where}, {'bf16 autocast' if device.type == 'cuda' else 'fp32'}, batch {args.batch_size} x "
          f"seq {args.seq_len}, {args.docs_per_row} doc(s)/row, median of {args.repeats} x {args.steps} steps, "
          f"peak {peak:.2f} TFLOP/s")
    print(f"{'preset':<10} {'params':>12} {'tokens/s':>12} {'TFLOP/s':>9} {'MFU':>7}")
    for name in args.presets.split(","):
        r = bench_preset(name, args, device)
        print(f"{r['preset']:<10} {r['params']:>12,} {r['tok_s']:>12,.0f} {r['tflops']:>9.3f} "
              f"{100 * r['tflops'] / peak:>6.1f}%")


if __name__ == "__main__":
    main()
