"""``RunConfig``: one YAML file describing a whole ``curation run`` (see docs/config.md).

Each section reuses the stage's own config model, so a key means the same thing in a
run config as in the stage command's ``--config``.
"""
from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from curation.config import StageConfig
from curation.shards.mixture import ShardSettings
from curation.validate.config import ValidateConfig
from filters.config import FiltersConfig
from filters.dedup_config import DedupConfig
from filters.docs_config import CrawlConfig, IngestConfig
from filters.quality.config import QualityConfig, TrainConfig
from tokenizer.config import TokenizerConfig


class SourceConfig(StageConfig):
    """One source of the mixture.

    ``kind: crawl`` sources (WARC/WET globs or a Common Crawl range) go through extraction,
    filters, quality selection and dedup; ``kind: documents`` sources (JSONL/Parquet
    dumps that are already clean text) only through dedup, unless ``curate`` says otherwise.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")  # also the output folder name
    kind: Literal["crawl", "documents"] = "crawl"  # crawl: WARC/WET; documents: JSONL/Parquet/text
    inputs: list[str] = Field(default_factory=list)  # globs, directories or URLs
    crawl: CrawlConfig | None = None  # a Common Crawl id + file range instead of (or besides) inputs
    weight: float = Field(gt=0)  # share of training tokens (normalised over sources)
    curate: bool | None = None  # filters + quality; default: True for crawl, False for documents
    dedup: bool = True  # MinHash near-dedup of this source (when the dedup stage is enabled)

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


class QualityStageConfig(QualityConfig):
    """Train a classifier on ``positive`` (reference text) vs the run's raw extracted pages,
    or use an existing ``model``; then select documents as ``QualityConfig`` says."""

    enabled: bool = True
    model: str | None = None  # an existing fastText model; else one is trained
    positive: list[str] = Field(default_factory=list)  # reference text files to train on
    train: TrainConfig = Field(default_factory=TrainConfig)  # fastText training settings

    @model_validator(mode="after")
    def _model_or_data(self):
        if self.enabled and not self.model and not self.positive:
            raise ValueError("quality: give model: (a trained classifier) or positive: (reference text to train on)")
        return self

    def selection(self, model_path: str) -> QualityConfig:
        """The selection settings for the pipeline, with the model to score with."""
        fields = self.model_dump(exclude={"enabled", "model", "positive", "train"})
        return QualityConfig(model=model_path, **fields)


class DedupStageConfig(DedupConfig):
    enabled: bool = True


class TokenizerStageConfig(StageConfig):
    """Use an existing tokenizer directory (``path``) or train one on the curated documents."""

    path: str | None = None  # an existing tokenizer directory (skips training)
    train: TokenizerConfig = Field(default_factory=TokenizerConfig)  # used when path is not set


class ShardsStageConfig(ShardSettings):
    """The mixture settings of ``curation shards``; the sources and weights come from ``sources:``."""


class ValidateStageConfig(ValidateConfig):
    enabled: bool = True
    fail_on_error: bool = True  # exit non-zero when a shard fails validation


class RunConfig(StageConfig):
    output: str = "out/run"  # relative to the working directory; --output overrides
    beam_args: list[str] = Field(default_factory=list)  # Beam flags; CLI flags after `--` are added
    sources: list[SourceConfig] = Field(min_length=1)  # the mixture's sources, with weights
    ingest: IngestConfig = Field(default_factory=IngestConfig)  # extraction of crawl sources
    filters: FiltersConfig = Field(default_factory=lambda: FiltersConfig(enabled=True))  # C4 set on by default
    quality: QualityStageConfig = Field(default_factory=lambda: QualityStageConfig(enabled=False))  # off by default
    dedup: DedupStageConfig = Field(default_factory=DedupStageConfig)  # MinHash LSH near-dedup
    tokenizer: TokenizerStageConfig = Field(default_factory=TokenizerStageConfig)  # train one or use path
    shards: ShardsStageConfig  # mixture budget, sequence length, packing
    validate_: ValidateStageConfig = Field(default_factory=ValidateStageConfig, alias="validate")  # proxy LM checks

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
    _resolve_filter_lists(config.filters, base)
    return config


def _resolve_filter_lists(filters, base: str) -> None:
    """Blocklists, word lists and eval sets of the filters section, relative to the config file too."""
    urls = filters.url_filter
    urls.domain_lists = [_resolve(p, base) for p in urls.domain_lists]
    urls.url_lists = [_resolve(p, base) for p in urls.url_lists]
    for key in ("ut1", "banned_words_file", "soft_banned_words_file", "banned_subwords_file"):
        if getattr(urls, key):
            setattr(urls, key, _resolve(getattr(urls, key), base))
    filters.decontaminate.eval_sets = [_resolve(p, base) for p in filters.decontaminate.eval_sets]
    if filters.badwords.path:
        filters.badwords.path = _resolve(filters.badwords.path, base)
    if filters.langid.fasttext_model:
        filters.langid.fasttext_model = _resolve(filters.langid.fasttext_model, base)
