"""One job shape shared by document-to-document stages: read -> transform -> write.

Output layout: ``documents/`` (deterministic shards), ``errors/`` (bad input rows) and
``stats.json`` (every counter, also printed as a table).
"""
from __future__ import annotations

from typing import Any, Callable

import apache_beam as beam

from curation.io.paths import join
from pipelines.metrics import run_and_report
from pipelines.options import make_options, runner_name
from pipelines.progress import ReportProgress
from pipelines.read import ERRORS_TAG, ReadDocuments
from pipelines.write import WriteDocuments, WriteRecords


def run_document_job(inputs: list[str] | str, output_dir: str, transform: Callable[[Any], Any],
                     beam_args: list[str] | None = None, *, label: str = "documents", fmt: str = "parquet",
                     docs_per_shard: int = 50_000, echo: bool = True, stage: str | None = None,
                     extra: dict[str, Any] | None = None) -> dict[str, dict[str, int]]:
    """Run ``transform`` (PCollection of documents -> documents, or a dict with ``"kept"``).

    Inputs are matched now, so a glob that matches nothing (or an unfinished stage output)
    fails before any work starts. ``_SUCCESS.json`` names ``stage`` (default: ``label``).
    """
    reader = ReadDocuments(inputs)
    options = make_options(beam_args, reader.files)
    if echo:
        print(f"{label}: {len(reader.files)} input file(s) -> {output_dir} on {runner_name(options)}", flush=True)
    pipeline = beam.Pipeline(options=options)
    loaded = pipeline | "Read" >> reader
    result = transform(loaded.docs)
    kept = result["kept"] if isinstance(result, dict) else result
    if echo:
        kept = kept | "Progress" >> beam.ParDo(ReportProgress(label))
    kept | "WriteDocs" >> WriteDocuments(join(output_dir, "documents"), fmt, records_per_shard=docs_per_shard)
    loaded[ERRORS_TAG] | "WriteErrors" >> WriteRecords(join(output_dir, "errors"), "errors", key="key")
    return run_and_report(pipeline, output_dir, echo=echo, extra={"inputs": reader.files, **(extra or {})},
                          marker={"stage": stage or label})
