"""The ``curation docs`` stage config: inputs, crawl range, ingest, output, filters, quality.

Plain pydantic (no Beam), so the run config, the CLI and docs/config.md load it without the pipeline.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from curation.config import StageConfig
from curation.io.commoncrawl import DEFAULT_BASE_URL, parse_range
from filters.config import FiltersConfig
from filters.extract import DEFAULT_TIME_LIMIT
from filters.quality.config import QualityConfig


class IngestConfig(StageConfig):
    """How WARC/WET records become documents."""

    extractor: Literal["resiliparse", "trafilatura"] = "resiliparse"
    source: str = "commoncrawl"  # the ``source`` field of documents made from crawl files
    max_payload_bytes: int = Field(10 << 20, gt=0)  # larger records are errors, not read whole
    min_text_chars: int = Field(1, ge=0)  # shorter extractions are dropped as empty_text
    # Seconds one page may take to extract (in a child process); slower pages are extract_timeout errors.
    # null: no limit, extraction in-process.
    extract_timeout: float | None = Field(DEFAULT_TIME_LIMIT, gt=0)
    trafilatura_fast: bool = True  # trafilatura without its fallback extractors: 2.5x faster, same text here
    trafilatura_favor_precision: bool = True  # trafilatura drops more boilerplate (as FineWeb)


class CrawlConfig(StageConfig):
    """A Common Crawl crawl id and a range of its files, instead of (or besides) globs."""

    crawl_id: str
    files: str = "0:1"  # START:END over the crawl's paths listing, end exclusive
    kind: Literal["warc", "wet"] = "warc"
    base_url: str = DEFAULT_BASE_URL

    @field_validator("files")
    @classmethod
    def _range(cls, value: str) -> str:
        parse_range(value)
        return value


class InputSpec(StageConfig):
    path: str  # glob, directory or URL
    source: str | None = None  # overrides the documents' source field


class OutputConfig(StageConfig):
    format: Literal["parquet", "jsonl", "jsonl.gz"] = "parquet"
    docs_per_shard: int = Field(50_000, gt=0)


class DocsConfig(StageConfig):
    inputs: list[str | InputSpec] = Field(default_factory=list)
    crawl: CrawlConfig | None = None
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    filters: FiltersConfig = Field(default_factory=FiltersConfig)  # off unless filters.enabled
    quality: QualityConfig | None = None  # score + select (pipelines.quality); off when absent
