"""Read document files (Parquet / JSONL / text) into a PCollection of document dicts."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from curation.io.docfiles import iter_documents
from curation.io.paths import expand

ERRORS_TAG = "errors"


class _ReadDocumentFile(beam.DoFn):
    def __init__(self, source: str | None):
        self.source = source
        self.read = Metrics.counter("read", "documents")
        self.bad = Metrics.counter("read", "bad_rows")
        self.files = Metrics.counter("read", "files")

    def process(self, path: str):
        errors: list[dict] = []

        def on_error(file: str, row: int, reason: str) -> None:
            errors.append({"file": file, "offset": row, "reason": reason, "key": f"{file}:{row:012d}"})

        self.files.inc()
        for doc in iter_documents(path, source=self.source, on_error=on_error):
            self.read.inc()
            yield doc
        self.bad.inc(len(errors))
        for error in errors:
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error)


class ReadDocuments(beam.PTransform):
    """Documents of every file matched by ``patterns``; bad rows go to the ``errors`` output.

    Files are matched when the pipeline is built; one file is one element, reshuffled
    so that many files spread over workers.
    """

    def __init__(self, patterns: list[str] | str, source: str | None = None):
        super().__init__()
        self.files = expand(patterns)
        self.source = source

    def expand(self, pbegin):
        return (
            pbegin
            | "Files" >> beam.Create(self.files)
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadFile" >> beam.ParDo(_ReadDocumentFile(self.source)).with_outputs(ERRORS_TAG, main="docs")
        )
