"""``ScoreAndSelect``: the quality classifier in Beam (score every document, then select).

1. ``quality_score`` step (``filters.quality.classifier.QualityScorer``): the fastText model is
   loaded once per worker; writes ``quality_score``; counters ``scored`` and one
   ``band:<lo>-<hi>`` per 0.1 band (the score distribution in stats.json).
2. ``quality_select`` step (``filters.quality.classifier.QualitySelector``) by ``config.mode``:
   ``pareto`` (GPT-3, draw seeded from the document id), ``threshold``, or
   ``top_fraction``: the cutoff is an approximate quantile of all scores
   (``ApproximateQuantiles``) given to the selection as a side input. Counters
   ``kept:<mode>``, ``dropped:<mode>``, ``kept_band:<band>``.

``run_score`` is the ``curation quality score`` job: document files -> scored,
selected documents (``documents/``), ``errors/`` and ``stats.json``.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.transforms.stats import ApproximateQuantiles

from curation.config import config_hash
from filters.quality.classifier import QualityModel, QualityScorer, QualitySelector
from filters.quality.config import QualityConfig
from pipelines.counters import counted
from pipelines.document_job import run_document_job
from pipelines.spill import ExternalGroupByKey
from pipelines.steps import DROPPED_TAG, ApplyStep, ApplySteps


class _SelectWithCutoff(ApplyStep):
    """``ApplyStep`` for the selector, with the top-fraction cutoff arriving as a side input."""

    def process(self, doc, cutoff=None):
        self.step.cutoff = cutoff
        yield from super().process(doc)


def pick_cutoff(quantiles: list[float], fraction: float) -> float:
    """The score at rank ``1 - fraction`` from ``len(quantiles)`` evenly spaced quantiles (min..max)."""
    if not quantiles:
        return 1.0  # no documents: nothing to keep
    resolution = len(quantiles) - 1
    return float(quantiles[min(resolution, int((1.0 - fraction) * resolution + 1e-9))])


class ScoreAndSelect(beam.PTransform):
    """Score documents with ``config.model`` and keep those ``config.mode`` selects."""

    def __init__(self, config: QualityConfig):
        super().__init__()
        QualityModel(config.model)  # a missing or corrupt model fails now, not inside a worker
        self.config = config

    def expand(self, docs):
        config = self.config
        scored = docs | "QualityScore" >> ApplySteps([QualityScorer(config.model)])
        selector = QualitySelector(config.mode, config.alpha, config.threshold, config.seed)
        if config.mode != "top_fraction":
            return scored | "QualitySelect" >> ApplySteps([selector])
        fraction = config.fraction
        cutoff = (scored
                  | "Scores" >> beam.Map(lambda d: d["quality_score"])
                  | "Quantiles" >> ApproximateQuantiles.Globally(config.quantile_resolution + 1)
                  | "Cutoff" >> beam.Map(pick_cutoff, fraction))
        # The cutoff needs every score before the first document is selected: the documents wait
        # as sorted spill runs on disk, not as a PCollection the local runner would hold in memory.
        waiting = (scored | "KeyById" >> beam.Map(lambda d: (d["id"], d))
                   | "WaitForCutoff" >> ExternalGroupByKey() | "Unkey" >> beam.FlatMap(lambda group: group[1]))
        return counted(waiting, "QualitySelect", _SelectWithCutoff(selector), cutoff=beam.pvalue.AsSingleton(cutoff),
                       tags=(DROPPED_TAG,), main="kept")["kept"]


def run_score(config: QualityConfig, inputs: list[str], output_dir: str, fmt: str = "parquet",
              beam_args: list[str] | None = None, docs_per_shard: int = 50_000,
              echo: bool = True) -> dict[str, dict[str, int]]:
    """Read document files, score and select, write ``documents/``, ``errors/``, ``stats.json``."""
    select = ScoreAndSelect(config)
    return run_document_job(inputs, output_dir, lambda docs: docs | "Quality" >> select, beam_args,
                            label=f"curation quality score ({config.mode})", fmt=fmt,
                            docs_per_shard=docs_per_shard, echo=echo,
                            extra={"config_hash": config_hash(config), "config": config.model_dump(mode="json")})
