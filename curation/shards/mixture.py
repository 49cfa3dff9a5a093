"""Mixture weights -> epochs per source -> which document copies are trained on.

A mixture names sources (document files) and the share of training tokens each
should get (GPT-3's "weight in training mix", Llama's "sampling proportion").
With ``T_s`` tokens available in source ``s``, weight ``w_s`` (normalised to sum to
1) and a budget ``B``, source ``s`` is seen ``epochs_s = w_s * B / T_s`` times:
every document ``floor(epochs_s)`` times, plus a deterministic subset for the
fractional epoch. The subset is chosen by hashing ``(seed, source, doc id, epoch)``
into one of :data:`HIST_BUCKETS` buckets; a per-source histogram of tokens over
those buckets gives the bucket threshold whose cumulative token count is closest
to the fractional target, so realised token shares hit the weights to within
about ``T_s / HIST_BUCKETS`` tokens (one document, on small sources) instead of
the sampling noise of a per-document coin flip.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from curation.config import StageConfig, load_config
from curation.shards.docblock import DocBlock

HIST_BUCKETS = 1 << 14


class MixtureSource(StageConfig):
    name: str = Field(min_length=1)
    # Files, globs or directories; relative paths are relative to the mixture file.
    paths: list[str] = Field(min_length=1)
    weight: float = Field(gt=0)

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, value):
        return [value] if isinstance(value, str) else value


class ShardSettings(StageConfig):
    """Everything of a mixture but its sources: what ``curation run``'s ``shards:`` section sets."""

    total_tokens: int = Field(gt=0, description="training token budget, EOS tokens included")
    seq_len: int = Field(2048, ge=2, description="tokens per row")
    seed: int = Field(1234, description="fractional epochs, bucket row order")
    packing: Literal["best_fit", "concat", "pad"] = "best_fit"
    rows_per_shard: int = Field(4096, ge=1, description="target rows per shard (a contiguous range of the blend)")
    # Packing sees one bucket of documents at a time: bigger buckets pack tighter but need
    # that many tokens in one worker's memory (4M int32 tokens ~ 16 MB plus Python overhead).
    bucket_tokens: int = Field(1 << 22, ge=1)
    tokenize_batch_size: int = Field(1024, ge=1, description="documents per encode_batch call")
    append_eos: bool = True


class MixtureConfig(ShardSettings):
    """The ``curation shards`` configuration (a mixture YAML file)."""

    sources: list[MixtureSource] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self):
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        return self

    def weights(self) -> dict[str, float]:
        """Weights normalised to sum to 1 (GPT-3's table sums to 101%)."""
        total = sum(s.weight for s in self.sources)
        return {s.name: s.weight / total for s in self.sources}


def load_mixture(path: str, overrides: list[str] | None = None) -> MixtureConfig:
    """Load a mixture YAML; relative source paths are resolved against the file's directory."""
    config = load_config(MixtureConfig, path, overrides)
    base = os.path.dirname(os.path.abspath(path))
    for source in config.sources:
        source.paths = [p if "://" in p or os.path.isabs(p) else os.path.join(base, p) for p in source.paths]
    return config


def hash64(*parts: object) -> int:
    key = ":".join(str(p) for p in parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def partial_bucket(seed: int, source: str, doc_id: str, epoch: int) -> int:
    """The histogram bucket of a document in its fractional epoch."""
    return hash64(seed, "epoch", source, doc_id, epoch) % HIST_BUCKETS


def copy_key(seed: int, source: str, doc_id: str, epoch: int) -> int:
    """A 64-bit key for one copy of a document (packing bucket, tie-breaks)."""
    return hash64(seed, "copy", source, doc_id, epoch)


def partial_histogram(seed: int, source: str, doc_ids: list[str], lengths: np.ndarray, whole_epochs: int) -> np.ndarray:
    """Tokens per histogram bucket of documents in their fractional epoch (int64, ``HIST_BUCKETS``)."""
    buckets = np.fromiter((partial_bucket(seed, source, d, whole_epochs) for d in doc_ids), np.int64, len(doc_ids))
    hist = np.zeros(HIST_BUCKETS, np.int64)
    np.add.at(hist, buckets, np.asarray(lengths, np.int64))
    return hist


def sample_copies(block: DocBlock, plan: SourcePlan, seed: int, buckets: int) -> dict[int, DocBlock]:
    """A block's document copies, one per epoch its document is trained in, by packing bucket.

    A copy's bucket is its copy key modulo ``buckets``.
    """
    by_bucket: dict[int, tuple[list[int], list[int], list[int]]] = {}
    for i, doc_id in enumerate(block.doc_ids):
        for epoch in plan.epochs_of(seed, doc_id):
            key = copy_key(seed, block.source, doc_id, epoch)
            entries, epochs, keys = by_bucket.setdefault(key % buckets, ([], [], []))
            entries.append(i)
            epochs.append(epoch)
            keys.append(key)
    return {bucket: block.copies(*picked) for bucket, picked in sorted(by_bucket.items())}


@dataclass
class SourcePlan:
    source: str
    weight: float  # normalised
    tokens_available: int
    documents: int
    epochs: float  # wanted: weight * budget / tokens_available
    whole_epochs: int
    partial_target: int  # tokens wanted from the fractional epoch
    threshold: int = 0  # a document is in the fractional epoch iff its bucket < threshold
    partial_tokens: int = 0  # tokens the threshold actually selects
    tokens_taken: int = 0

    def epochs_of(self, seed: int, doc_id: str) -> list[int]:
        """The epochs in which this document is trained on."""
        epochs = list(range(self.whole_epochs))
        if self.threshold and partial_bucket(seed, self.source, doc_id, self.whole_epochs) < self.threshold:
            epochs.append(self.whole_epochs)
        return epochs


def plan_epochs(config: MixtureConfig, totals: dict[str, tuple[int, int]]) -> dict[str, SourcePlan]:
    """Epochs per source from ``{source: (tokens, documents)}``; thresholds come later."""
    plans = {}
    for name, weight in config.weights().items():
        tokens, docs = totals.get(name, (0, 0))
        if tokens <= 0:
            raise ValueError(f"mixture source {name!r} has no tokens: its files hold no non-empty documents")
        wanted = weight * config.total_tokens
        epochs = wanted / tokens
        whole = math.floor(epochs)
        plans[name] = SourcePlan(name, weight, int(tokens), int(docs), epochs, whole,
                                 int(round(wanted - whole * tokens)))
    return plans


def plan_partial(plans: dict[str, SourcePlan], histograms: dict[str, np.ndarray]) -> dict[str, SourcePlan]:
    """Choose each source's bucket threshold from its token histogram (fractional epoch)."""
    out = {}
    for name, plan in plans.items():
        hist = np.asarray(histograms.get(name, np.zeros(HIST_BUCKETS, np.int64)), dtype=np.int64)
        cum = np.concatenate([[0], np.cumsum(hist)])
        threshold = int(np.argmin(np.abs(cum - plan.partial_target)))  # first of equals: smallest
        partial = int(cum[threshold])
        out[name] = SourcePlan(**{**asdict(plan), "threshold": threshold, "partial_tokens": partial,
                                  "tokens_taken": plan.whole_epochs * plan.tokens_available + partial})
    return out


def plan_mixture(config: MixtureConfig, docs: Iterable[tuple[str, str, int]]) -> dict[str, SourcePlan]:
    """Both planning passes in memory over ``(source, doc_id, tokens)`` (tests, benchmarks)."""
    docs = list(docs)
    totals: dict[str, list[int]] = {}
    for source, _, n in docs:
        t = totals.setdefault(source, [0, 0])
        t[0] += n
        t[1] += 1
    plans = plan_epochs(config, {k: (v[0], v[1]) for k, v in totals.items()})
    hists = {name: np.zeros(HIST_BUCKETS, np.int64) for name in plans}
    for source, doc_id, n in docs:
        if source in plans:
            hists[source][partial_bucket(config.seed, source, doc_id, plans[source].whole_epochs)] += n
    return plan_partial(plans, hists)


def mixture_table(plans: dict[str, SourcePlan], realized_tokens: dict[str, int] | None = None) -> list[dict]:
    """The GPT-3 Table 2.2 columns per source, in mixture order (manifest ``mixture``)."""
    realized = realized_tokens or {name: p.tokens_taken for name, p in plans.items()}
    total = sum(realized.values()) or 1
    return [{
        "source": name, "weight": round(p.weight, 6), "documents": p.documents,
        "tokens_available": p.tokens_available, "epochs": round(p.epochs, 6),
        "tokens_taken": p.tokens_taken, "tokens_in_shards": int(realized.get(name, 0)),
        "share_realized": round(realized.get(name, 0) / total, 6),
    } for name, p in plans.items()]


def format_mixture_table(rows: list[dict]) -> str:
    """A plain-text rendering of :func:`mixture_table` (printed after a run)."""
    head = f"{'source':<16}{'tokens available':>18}{'weight':>9}{'epochs':>9}{'tokens taken':>15}{'realized':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['source']:<16}{r['tokens_available']:>18,}{r['weight']:>9.1%}{r['epochs']:>9.2f}"
                     f"{r['tokens_taken']:>15,}{r['share_realized']:>10.2%}")
    return "\n".join(lines)
