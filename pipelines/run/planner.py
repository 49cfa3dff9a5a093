"""``curation run``: every stage in order, each its own Beam pipeline, resumable.

The plan is a list of :class:`Stage` s. A stage's *fingerprint* covers its config,
the content of its input files (``curation.io.fingerprint``) and the fingerprints of the
stages it reads, with every path inside the run written relative to it, so a
change anywhere upstream re-runs everything downstream of it. When a stage ends, its
completion marker ``_SUCCESS.json`` (:mod:`curation.io.completion`, written by the stage
after all its files) gets the fingerprint; a later run skips a stage whose marker matches
and whose files are all there, so an interrupted run resumes where it stopped.

Output layout (``OUT``)::

    extract/<source>/   filter/<source>/   quality/<source>/   dedup/<source>/   document stages
    quality-model/      tokenizer/         shards/             validation/
    funnel.txt  run.json  report.html
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from curation.io.completion import problems, read_success, update_success
from curation.io.fingerprint import content_id
from curation.io.paths import absolute, expand, is_dir, join, list_files, make_dirs, remove_tree
from pipelines.run.config import RunConfig
from pipelines.run.worker_files import place_worker_files


@dataclass
class Stage:
    name: str  # e.g. "filter:web"
    output: str
    fingerprint: dict[str, Any]
    execute: Callable[[], None]
    inputs: list[str] = field(default_factory=list)
    source: str | None = None

    @property
    def digest(self) -> str:
        payload = json.dumps(self.fingerprint, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def kind(self) -> str:
        return self.name.split(":", 1)[0]

    def is_current(self) -> bool:
        """Finished with this fingerprint, every file still as the marker lists it (an unreadable
        marker, from a kill or a full disk, is "not done")."""
        marker = read_success(self.output)
        return marker is not None and marker.get("fingerprint") == self.digest and not problems(self.output, marker)


def input_fingerprint(patterns: list[str]) -> list[list]:
    """[file name, content] of every input file (:func:`curation.io.fingerprint.content_id`): an
    edited (even at the same size), added or removed file changes the stage's hash, a moved one
    does not."""
    return [[os.path.basename(path.rstrip("/")), content_id(path)] for path in _fingerprint_files(patterns)]


def _fingerprint_files(patterns: list[str]) -> list[str]:
    """The data files of the patterns; for a directory holding none (a tokenizer, a model's
    folder), every file in it."""
    try:
        return expand(patterns)
    except FileNotFoundError:
        files = [join(p, *rel.split("/")) for p in patterns for rel in sorted(list_files(p))]
        if not files:
            raise
        return files


def _run_relative(path: str, run_dir: str) -> str | None:
    """``$RUN/<path inside the run>`` for a path inside ``run_dir``, else None."""
    root = absolute(run_dir).rstrip("/")
    full = absolute(path)
    if full == root:
        return "$RUN"
    return "$RUN/" + full[len(root) + 1:].replace(os.sep, "/") if full.startswith(root + "/") else None


def run_relative(value: Any, run_dir: str) -> Any:
    """``value`` (a fingerprint: dicts, lists, strings) with every path inside the run directory
    written relative to it, so moving the run or naming it ``out`` or ``/abs/out`` changes nothing."""
    if isinstance(value, dict):
        return {k: run_relative(v, run_dir) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [run_relative(v, run_dir) for v in value]
    if isinstance(value, str) and ("/" in value or os.sep in value):  # a path, not a word like "en"
        return _run_relative(value, run_dir) or value
    return value


class Planner:
    """Turns a RunConfig into the ordered list of stages."""

    def __init__(self, config: RunConfig, output: str, beam_args: list[str], echo: bool = True):
        # the config as the stages see it: launcher-local files a worker opens named by their copies
        self.config, self.worker_files = place_worker_files(config, output)
        self.out = output
        self.beam_args = list(config.beam_args) + list(beam_args)
        self.echo = echo
        self.stages: list[Stage] = []
        self.final: dict[str, tuple[list[str], Stage | None]] = {}  # source -> (document paths, last stage)

    def add(self, stage: Stage) -> Stage:
        stage.fingerprint = run_relative(stage.fingerprint, self.out)
        self.stages.append(stage)
        return stage

    def dump(self, model) -> dict:
        return model.model_dump(mode="json")

    def plan(self) -> list[Stage]:
        cfg = self.config
        extracted: dict[str, Stage] = {}
        for source in cfg.sources:
            if source.kind == "crawl":
                extracted[source.name] = self.add(self._extract_stage(source))
        model = self._quality_model_stage(extracted) if cfg.quality.enabled else None
        for source in cfg.sources:
            paths, last = self._source_inputs(source, extracted.get(source.name))
            if source.curated and cfg.filters.enabled:
                last = self.add(self._filter_stage(source.name, paths, last))
                paths = [last.output]
            if source.curated and model is not None:
                last = self.add(self._quality_stage(source.name, paths, last, model))
                paths = [last.output]
            if source.dedup and cfg.dedup.enabled:
                last = self.add(self._dedup_stage(source.name, paths, last))
                paths = [last.output]
            self.final[source.name] = (paths, last)
        tokenizer = self._tokenizer_stage()
        shards = self.add(self._shards_stage(tokenizer))
        if cfg.validate_.enabled:
            self.add(self._validate_stage(shards))
        return self.stages

    # -- document stages ---------------------------------------------------------------

    def _source_inputs(self, source, extract_stage: Stage | None) -> tuple[list[str], Stage | None]:
        if extract_stage is not None:
            return [extract_stage.output], extract_stage
        return list(source.inputs), None

    def _extract_stage(self, source) -> Stage:
        from filters.docs_config import DocsConfig
        from pipelines.docs import run_docs

        docs_config = DocsConfig(inputs=source.inputs, crawl=source.crawl,
                                 ingest=self.config.ingest.model_copy(update={"source": source.name}))
        output = join(self.out, "extract", source.name)
        fingerprint = {"stage": "extract", "config": self.dump(docs_config),
                       "inputs": input_fingerprint(source.inputs) if source.inputs else []}
        return Stage(f"extract:{source.name}", output, fingerprint,
                     lambda: run_docs(docs_config, None, output, self.beam_args, echo=self.echo),
                     inputs=source.inputs or [f"{source.crawl.crawl_id} files {source.crawl.files}"],
                     source=source.name)

    def _upstream(self, paths: list[str], last: Stage | None) -> dict:
        return {"upstream": last.digest} if last else {"inputs": input_fingerprint(paths)}

    def _document_stage(self, kind: str, name: str, paths: list[str], last: Stage | None, config,
                        run_stage: Callable[..., Any], **fingerprint: Any) -> Stage:
        """A documents -> documents stage over one source: ``run_stage(config, inputs, output, beam_args)``."""
        output = join(self.out, kind, name)
        return Stage(f"{kind}:{name}", output,
                     {"stage": kind, "config": self.dump(config), **self._upstream(paths, last), **fingerprint},
                     lambda: run_stage(config, paths, output, self.beam_args, echo=self.echo, label=f"{kind}:{name}"),
                     inputs=paths, source=name)

    def _filter_stage(self, name: str, paths: list[str], last: Stage | None) -> Stage:
        from pipelines.filtering import run_filter

        return self._document_stage("filter", name, paths, last, self.config.filters, run_filter)

    def _quality_model_stage(self, extracted: dict[str, Stage]) -> tuple[Stage | None, str]:
        """The training stage (None when the config names a model) and the model's path."""
        quality = self.config.quality
        if quality.model:
            return None, quality.model
        from pipelines.quality import MODEL_FILE, run_quality_model

        output = join(self.out, "quality-model")
        negatives = [s.output for s in extracted.values()]
        if not negatives:
            raise ValueError("quality: training needs raw pages from at least one crawl source (or give model:)")
        model_path = join(output, MODEL_FILE)
        inputs = {"positive": list(quality.positive), "negative": negatives}
        stage = Stage("quality-model", output,
                      {"stage": "quality-model", "config": self.dump(quality.train),
                       "positive": input_fingerprint(quality.positive),
                       "negative": [s.digest for s in extracted.values()]},
                      lambda: run_quality_model(quality.train, inputs, output, self.beam_args, echo=self.echo),
                      inputs=list(quality.positive) + negatives)
        return self.add(stage), model_path

    def _quality_stage(self, name: str, paths: list[str], last: Stage | None,
                       model: tuple[Stage | None, str]) -> Stage:
        from pipelines.quality import run_quality

        model_stage, model_path = model
        config = self.config.quality.selection(model_path)
        model_fingerprint = model_stage.digest if model_stage else \
            input_fingerprint([self.worker_files.local(model_path)])
        return self._document_stage("quality", name, paths, last, config, run_quality, model=model_fingerprint)

    def _dedup_stage(self, name: str, paths: list[str], last: Stage | None) -> Stage:
        from filters.dedup_config import DedupConfig
        from pipelines.dedup import run_dedup

        config = DedupConfig(**self.config.dedup.model_dump(exclude={"enabled"}))
        return self._document_stage("dedup", name, paths, last, config, run_dedup)

    # -- tokenizer, shards, validation -------------------------------------------------

    def _tokenizer_stage(self) -> tuple[str, dict]:
        spec = self.config.tokenizer
        if spec.path:
            from tokenizer.load import TOKENIZER_FILE

            local = self.worker_files.local(spec.path)  # a tokenizer directory, or its tokenizer.json
            return spec.path, {"path": spec.path,
                               "files": input_fingerprint([join(local, TOKENIZER_FILE) if is_dir(local) else local])}
        from pipelines.tokenizer import run_tokenizer

        output = join(self.out, "tokenizer")
        paths = [p for source_paths, _ in self.final.values() for p in source_paths]
        upstream = {name: (last.digest if last else input_fingerprint(p)) for name, (p, last) in self.final.items()}
        config = spec.train
        stage = self.add(Stage("tokenizer", output,
                               {"stage": "tokenizer", "config": self.dump(config), "upstream": upstream},
                               lambda: run_tokenizer(config, paths, output, self.beam_args, echo=self.echo),
                               inputs=paths))
        return output, {"upstream": stage.digest}

    def _shards_stage(self, tokenizer: tuple[str, dict]) -> Stage:
        from curation.shards.mixture import MixtureConfig, MixtureSource
        from pipelines.shards import run_shards

        tokenizer_dir, tokenizer_fingerprint = tokenizer
        spec = self.config.shards
        weights = {s.name: s.weight for s in self.config.sources}
        mixture = MixtureConfig(
            sources=[MixtureSource(name=name, paths=paths, weight=weights[name])
                     for name, (paths, _) in self.final.items()], **spec.model_dump())
        output = join(self.out, "shards")
        upstream = {name: (last.digest if last else input_fingerprint(p)) for name, (p, last) in self.final.items()}
        return Stage("shards", output,
                     {"stage": "shards", "config": self.dump(mixture), "tokenizer": tokenizer_fingerprint,
                      "upstream": upstream},
                     lambda: run_shards(mixture, tokenizer_dir, output, self.beam_args, echo=self.echo),
                     inputs=[p for paths, _ in self.final.values() for p in paths] + [tokenizer_dir])

    def _validate_stage(self, shards: Stage) -> Stage:
        from curation.validate.config import ValidateConfig
        from pipelines.validate import run_validate

        spec = self.config.validate_
        config = ValidateConfig(**spec.model_dump(exclude={"enabled", "fail_on_error"}))
        output = join(self.out, "validation")
        return Stage("validate", output,
                     {"stage": "validate", "config": self.dump(config), "upstream": shards.digest},
                     lambda: run_validate(config, shards.output, output, self.beam_args, echo=self.echo),
                     inputs=[shards.output])


def _document_counts(stage: Stage) -> str:
    """``: 309 -> 133 documents`` from the stage's counters, when it is a document stage."""
    from curation.report.funnel import load_counters, stage_rows

    rows = stage_rows(stage.source or "", stage.kind, load_counters(stage.output))
    if stage.kind == "extract":
        rows = [r for r in rows if r.step == "extract"]
    if not rows:
        return ""
    return f": {rows[0].docs_in:,} -> {rows[-1].docs_out:,} documents"


def execute(stages: list[Stage], stop_after: str | None = None, echo: bool = True) -> list[dict]:
    """Run the stages in order, skipping current ones; returns one summary dict per stage."""
    summary = []
    for index, stage in enumerate(stages, 1):
        label = f"[{index}/{len(stages)}] {stage.name}"
        if stage.is_current():
            if echo:
                print(f"{label}: up to date ({stage.output}), skipped", flush=True)
            summary.append({"stage": stage.name, "status": "skipped", "output": stage.output})
            continue
        if echo:
            print(f"{label}: running -> {stage.output}", flush=True)
        remove_tree(stage.output)  # a half-written output from an interrupted run, or a stale one
        make_dirs(stage.output)
        started = time.perf_counter()
        stage.execute()
        seconds = time.perf_counter() - started
        update_success(stage.output, stage=stage.name, fingerprint=stage.digest, seconds=round(seconds, 3))
        if echo:
            print(f"{label}: done in {seconds:.1f} s{_document_counts(stage)}", flush=True)
        summary.append({"stage": stage.name, "status": "ran", "seconds": round(seconds, 3), "output": stage.output})
        if stop_after and stage.name == stop_after:
            if echo:
                print(f"stopping after {stage.name} as asked (--stop-after)", file=sys.stderr, flush=True)
            break
    return summary
