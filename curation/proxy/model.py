"""A small Llama-style decoder-only language model, in plain PyTorch.

Pre-normalisation with RMSNorm, SwiGLU feed-forward, rotary position embeddings
and causal attention through ``F.scaled_dot_product_attention``. Packed rows are
supported: ``segment_ids`` restrict attention to each document (block-diagonal
causal mask), ``position_ids`` restart the rotary positions at each document, and
the loss skips padding and document boundaries (see :func:`next_token_targets`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE_INDEX = -100


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 4096
    seq_len: int = 512
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 128
    mlp_hidden: int = 384  # SwiGLU width, ~8/3 * n_embd rounded to a multiple of 64
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True


# The vocab size in each preset is the one its name is quoted at; validation replaces it
# with the shards' vocab size, which changes the embedding's share of the parameters.
PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(vocab_size=4096, n_layer=2, n_head=4, n_embd=128, mlp_hidden=384),
    "small": ModelConfig(vocab_size=32000, n_layer=6, n_head=6, n_embd=384, mlp_hidden=1024),
    "gpt2-124m": ModelConfig(vocab_size=50257, seq_len=1024, n_layer=12, n_head=12, n_embd=768,
                             mlp_hidden=2048),
}


def preset(name: str, **overrides) -> ModelConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; choose one of {sorted(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # Normalise in fp32: bf16 sums of squares lose too much precision.
        y = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return y.type_as(x) * self.weight


def rope_tables(head_dim: int, seq_len: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv_freq)
    return angles.cos(), angles.sin()  # [seq_len, head_dim / 2]


def apply_rope(x, cos, sin):
    """Rotate pairs (first half, second half) of ``x`` [B, H, T, D] by per-token angles [B, 1, T, D/2]."""
    x1, x2 = x.float().chunk(2, dim=-1)
    out = torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.type_as(x)


def segment_mask(segment_ids: torch.Tensor) -> torch.Tensor | None:
    """Boolean [B, 1, T, T] mask (True = may attend): causal and within one segment.

    Returns None when every row is one segment followed only by trailing padding, so
    attention can take the fast ``is_causal`` path (padding queries never feed real tokens).
    """
    first = segment_ids[:, :1]
    real = segment_ids != 0
    trailing_pad = (real[:, 1:] <= real[:, :-1]).all()
    if bool(trailing_pad & ((segment_ids == first) | ~real).all()):
        return None
    T = segment_ids.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=segment_ids.device).tril()
    same = segment_ids[:, :, None] == segment_ids[:, None, :]
    return (same & causal)[:, None]  # the diagonal is always True: no query is fully masked


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=False)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class SwiGLU(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate = nn.Linear(cfg.n_embd, cfg.mlp_hidden, bias=False)
        self.up = nn.Linear(cfg.n_embd, cfg.mlp_hidden, bias=False)
        self.down = nn.Linear(cfg.mlp_hidden, cfg.n_embd, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.mlp = SwiGLU(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.mlp(self.mlp_norm(x))


class ProxyLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.embed.weight
        cos, sin = rope_tables(cfg.n_embd // cfg.n_head, cfg.seq_len, cfg.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init_weights)
        # GPT-2 style: scale the residual output projections by depth.
        for name, p in self.named_parameters():
            if name.endswith(("proj.weight", "down.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module):
        # std 0.02 everywhere: default N(0, 1) embeddings blow up activations (and CPU step times).
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())  # tied weights are counted once

    def forward(self, input_ids, segment_ids=None, position_ids=None, targets=None):
        """Logits [B, T, V] and, when ``targets`` (ignore = -100) are given, the mean loss."""
        B, T = input_ids.shape
        if T > self.cfg.seq_len:
            raise ValueError(f"sequence length {T} exceeds the model's {self.cfg.seq_len}")
        if position_ids is None:
            position_ids = torch.arange(T, device=input_ids.device).expand(B, T)
        cos = self.rope_cos[position_ids][:, None]  # [B, 1, T, D/2]
        sin = self.rope_sin[position_ids][:, None]
        mask = None if segment_ids is None else segment_mask(segment_ids)
        x = self.embed(input_ids)
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        logits = self.lm_head(self.norm(x)).float()
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1),
                                   ignore_index=IGNORE_INDEX)
        return logits, loss


def next_token_targets(input_ids, loss_mask=None, segment_ids=None):
    """Targets aligned with the logits: ``input_ids`` shifted left by one, -100 where ignored.

    A position is ignored when the next token is not a loss target (padding), when the next
    token starts another document (no predicting across a packing boundary), and at the end.
    """
    targets = torch.full_like(input_ids, IGNORE_INDEX)
    targets[:, :-1] = input_ids[:, 1:]
    keep = torch.ones_like(input_ids, dtype=torch.bool)
    keep[:, -1] = False
    if loss_mask is not None:
        keep[:, :-1] &= loss_mask[:, 1:].bool()
    if segment_ids is not None:
        keep[:, :-1] &= segment_ids[:, 1:] == segment_ids[:, :-1]
    return targets.masked_fill(~keep, IGNORE_INDEX)


def flops_per_token(cfg: ModelConfig, n_params: int, seq_len: int) -> float:
    """Training FLOPs per token: 6 * params plus attention (PaLM appendix B; 12 * L * d * T)."""
    return 6.0 * n_params + 12.0 * cfg.n_layer * cfg.n_embd * seq_len
