"""Configuration of near-duplicate removal (``curation dedup`` and the ``dedup`` pipeline stage)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from curation.config import StageConfig


class ExactDedupConfig(StageConfig):
    """Exact dedup on normalised text, run before MinHash; YAML section ``dedup.exact``."""

    enabled: bool = Field(True, description="drop exact copies (NFC, whitespace collapsed) before MinHash")
    lowercase: bool = Field(False, description="also ignore case when comparing texts")


class DedupConfig(StageConfig):
    """MinHash LSH settings; YAML section ``dedup``.

    Defaults: 128 permutations as 16 bands x 8 rows, whose S-curve passes 0.5 near
    Jaccard 0.71 and catches 95% of pairs at 0.8 and 99.4% at 0.85 (docs/dedup.md);
    ``bands``/``rows`` set to ``null`` are chosen by :func:`filters.minhash.optimal_bands`.
    """

    threshold: float = Field(0.8, gt=0.0, le=1.0, description="Jaccard similarity that makes two documents duplicates")
    num_perm: int = Field(128, ge=2, le=1024, description="MinHash permutations")
    bands: int | None = Field(16, ge=1, description="LSH bands (null: chosen for the threshold)")
    rows: int | None = Field(8, ge=1, description="signature values per band (null: chosen for the threshold)")
    ngram: int = Field(5, ge=1, description="words per shingle")
    seed: int = Field(1, ge=0, description="permutation seed (datasketch's MinHash seed)")
    hashfunc: Literal["sha1", "xxh32", "word_xxh32"] = Field(
        "word_xxh32", description="shingle hash (filters.minhash.HASHFUNCS): word_xxh32 = fastest (default; "
                                  "pass HASHFUNCS['word_xxh32'] as datasketch's hashfunc to match); "
                                  "sha1 = datasketch's own default")
    normalize: bool = Field(True, description="NFKC + lower case + digits->0 + words only, before shingling")
    verify: bool = Field(True, description="check candidate pairs by exact Jaccard of the shingle sets")
    verify_max_bucket: int = Field(
        100, ge=2, description="buckets with more members are trusted (star edges, unverified): bounds the "
                               "quadratic pair count of huge buckets (boilerplate pages)")
    keep: Literal["highest_quality", "lowest_id"] = Field(
        "highest_quality", description="which document of a cluster survives; ties -> lowest id")
    components_max_rounds: int = Field(
        20, ge=1, le=200, description="large-star/small-star rounds unrolled for connected components; "
                                      "enough for chains of ~10M duplicates in random order (a job needing more fails, "
                                      "never gives wrong clusters)")
    batch_size: int = Field(256, ge=1, description="documents signed per numpy batch")
    emit_pairs: bool = Field(False, description="produce the duplicate-pair side output")
    exact: ExactDedupConfig = Field(default_factory=ExactDedupConfig,
                                    description="exact dedup before MinHash (cheap first)")

    @model_validator(mode="after")
    def _check_bands(self) -> "DedupConfig":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither (then they are chosen for the threshold)")
        explicit = {"bands", "rows"} & self.model_fields_set
        if not explicit and self.bands is not None and self.bands * self.rows > self.num_perm:
            # Only num_perm was changed (e.g. --num-perm 64): the default 16x8 no longer fits, choose.
            self.__dict__["bands"] = self.__dict__["rows"] = None
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self

    def band_rows(self) -> tuple[int, int]:
        """The ``(bands, rows)`` in use."""
        if self.bands is not None:
            return self.bands, self.rows
        from filters.minhash import optimal_bands

        # Verified candidates make false positives cheap, so weigh misses more.
        weights = (0.2, 0.8) if self.verify else (0.5, 0.5)
        return optimal_bands(self.threshold, self.num_perm, *weights)

    def index_fingerprint(self) -> dict:
        """The settings an incremental index must share with a run that reuses it."""
        bands, rows = self.band_rows()
        return {"num_perm": self.num_perm, "bands": bands, "rows": rows, "ngram": self.ngram,
                "seed": self.seed, "hashfunc": self.hashfunc, "normalize": self.normalize}
