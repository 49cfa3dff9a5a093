"""``RunConfig``: one YAML file describing a whole ``curation run`` (see docs/config.md).

Each section reuses the stage's own config model, so a key means the same thing in a
run config as in the stage command's ``--config``.
"""
from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from curation.config import StageConfig
from curation.quality.config import TrainConfig
from curation.validate.config import ValidateConfig
from filters.config import FiltersConfig
from filters.dedup_config import DedupConfig
from pipelines.docs import CrawlConfig, IngestConfig
from tokenizer.config import TokenizerConfig


class SourceConfig(StageConfig):
    """One source of the mixture.

    ``kind: crawl`` sources (WARC/WET globs or a Common Crawl range) go through extraction,
    filters, quality selection and dedup; ``kind: documents`` sources (JSONL/Parquet
    dumps that are already clean text) only through dedup, unless ``curate`` says otherwise.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["crawl", "documents"] = "crawl"
    inputs: list[str] = Field(default_factory=list)
    crawl: CrawlConfig | None = None
    weight: float = Field(gt=0)  # share of training tokens (normalised over sources)
    curate: bool | None = None  # filters + quality; default: True for crawl, False for documents
    dedup: bool = True

    @model_validator(mode="after")
    def _has_inputs(self):
        if not self.inputs and self.crawl is None:
            raise ValueError(f"source {self.name!r} needs inputs: or crawl:")
        if self.crawl is not None and self.kind != "crawl":
            raise ValueError(f"source {self.name!r}: crawl: needs kind: crawl")
        return self

    @property
    def curated(self) -> bool:
        return self.curate if self.curate is not None else self.kind == "crawl"


class QualityStageConfig(StageConfig):
    """Train a classifier on ``positive`` (reference text) vs the run's raw extracted pages,
    or use an existing ``model``; then select documents by ``mode``."""

    enabled: bool = True
    model: str | None = None
    positive: list[str] = Field(default_factory=list)
    train: TrainConfig = Field(default_factory=TrainConfig)
    mode: Literal["pareto", "threshold", "top_fraction"] = "pareto"
    alpha: float = Field(9.0, gt=0)
    threshold: float = Field(0.5, ge=0, le=1)
    fraction: float = Field(0.5, gt=0, le=1)
    seed: int = 0

    @model_validator(mode="after")
    def _model_or_data(self):
        if self.enabled and not self.model and not self.positive:
            raise ValueError("quality: give model: (a trained classifier) or positive: (reference text to train on)")
        return self


class DedupStageConfig(DedupConfig):
    enabled: bool = True


class TokenizerStageConfig(StageConfig):
    """Use an existing tokenizer directory (``path``) or train one on the curated documents."""

    path: str | None = None
    train: TokenizerConfig = Field(default_factory=TokenizerConfig)


class ShardsStageConfig(StageConfig):
    total_tokens: int = Field(gt=0)
    seq_len: int = Field(512, ge=2)
    seed: int = 1234
    packing: Literal["best_fit", "concat", "pad"] = "best_fit"
    rows_per_shard: int = Field(4096, ge=1)


class ValidateStageConfig(ValidateConfig):
    enabled: bool = True
    fail_on_error: bool = True  # exit non-zero when a shard fails validation


class RunConfig(StageConfig):
    output: str = "out/run"
    beam_args: list[str] = Field(default_factory=list)  # Beam flags; CLI flags after `--` are added
    sources: list[SourceConfig] = Field(min_length=1)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    filters: FiltersConfig = Field(default_factory=lambda: FiltersConfig(enabled=True))
    quality: QualityStageConfig = Field(default_factory=lambda: QualityStageConfig(enabled=False))
    dedup: DedupStageConfig = Field(default_factory=DedupStageConfig)
    tokenizer: TokenizerStageConfig = Field(default_factory=TokenizerStageConfig)
    shards: ShardsStageConfig
    validate_: ValidateStageConfig = Field(default_factory=ValidateStageConfig, alias="validate")

    model_config = {**StageConfig.model_config, "populate_by_name": True}

    @model_validator(mode="after")
    def _unique_sources(self):
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        return self


def _resolve(path: str, base: str) -> str:
    if "://" in path or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base, path))


def resolve_paths(config: RunConfig, config_file: str) -> RunConfig:
    """Input paths in a run config are relative to the config file (as in mixture files),
    so a run works from any directory; ``output`` stays relative to where you run it."""
    base = os.path.dirname(os.path.abspath(config_file))
    for source in config.sources:
        source.inputs = [_resolve(p, base) for p in source.inputs]
    config.quality.positive = [_resolve(p, base) for p in config.quality.positive]
    if config.quality.model:
        config.quality.model = _resolve(config.quality.model, base)
    if config.tokenizer.path:
        config.tokenizer.path = _resolve(config.tokenizer.path, base)
    return config
