"""``ScoreAndSelect``: the quality classifier in Beam (score every document, then select).

1. ``quality_score`` step (``filters.quality.classifier.QualityScorer``): the fastText model is
   loaded once per worker; writes ``quality_score``; counters ``scored`` and one
   ``band:<lo>-<hi>`` per 0.1 band (the score distribution in stats.json).
2. ``quality_select`` step (``filters.quality.classifier.QualitySelector``) by ``config.mode``:
   ``pareto`` (GPT-3, draw seeded from the document id), ``threshold``, or
   ``top_fraction``: the cutoff is an approximate quantile of all scores
   (``ApproximateQuantiles``) given to the selection as a side input. Counters
   ``kept:<mode>``, ``dropped:<mode>``, ``kept_band:<band>``.

``run_quality`` is the quality stage (``curation quality score`` and ``curation run``): document
files -> scored, selected documents (``documents/``), ``errors/``, ``stats.json``, ``_SUCCESS.json``;
``run_quality_model`` the training stage of ``curation run``.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.transforms.stats import ApproximateQuantiles

from curation.config import config_hash
from filters.quality.classifier import QualityModel, QualityScorer, QualitySelector
from filters.quality.config import QualityConfig, TrainConfig
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


def run_quality(config: QualityConfig, inputs: list[str], output_dir: str, beam_args: list[str] | None = None,
                *, fmt: str = "parquet", docs_per_shard: int = 50_000, echo: bool = True,
                label: str | None = None) -> dict[str, dict[str, int]]:
    """Read document files, score and select, write ``documents/``, ``errors/``, ``stats.json``."""
    select = ScoreAndSelect(config)
    return run_document_job(inputs, output_dir, lambda docs: docs | "Quality" >> select, beam_args,
                            label=label or f"curation quality score ({config.mode})", fmt=fmt,
                            docs_per_shard=docs_per_shard, echo=echo, stage="quality",
                            extra={"config_hash": config_hash(config), "config": config.model_dump(mode="json")})


MODEL_FILE = "quality.bin"


def run_quality_model(config: TrainConfig, inputs: dict[str, list[str]], output_dir: str,
                      beam_args: list[str] | None = None, *, echo: bool = True) -> dict:
    """Train the classifier on ``inputs["positive"]`` vs ``inputs["negative"]`` into
    ``output_dir/quality.bin`` (and its card); returns the card. ``beam_args``: unused (no Beam)."""
    from curation.io.completion import replace_output, write_success
    from curation.io.paths import join
    from filters.quality.train import train

    replace_output(output_dir, inputs["positive"] + inputs["negative"])
    card = train(inputs["positive"], inputs["negative"], join(output_dir, MODEL_FILE), config)
    if echo:
        metrics = card.get("heldout_metrics", {})
        print("quality classifier held-out: " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(metrics.items())
                                                         if isinstance(v, (int, float))), flush=True)
    write_success(output_dir, stage="quality-model", heldout_metrics=card.get("heldout_metrics"))
    return card
