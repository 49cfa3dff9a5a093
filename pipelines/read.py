"""Read document files (Parquet / JSONL / text) into a PCollection of document dicts."""
from __future__ import annotations

import apache_beam as beam

from curation.io.docfiles import iter_documents
from curation.io.paths import expand
from pipelines.counters import CountingDoFn, counted

ERRORS_TAG = "errors"


class _ReadDocumentFile(CountingDoFn):
    def __init__(self, source: str | None):
        self.source = source

    def process(self, path: str):
        yield from self._read(path, self.source)

    def _read(self, path: str, source: str | None):
        errors: list[dict] = []

        def on_error(file: str, row: int, reason: str) -> None:
            errors.append({"file": file, "offset": row, "reason": reason, "key": f"{file}:{row:012d}"})

        counters = self.counters("read")
        counters.inc("files")
        for doc in iter_documents(path, source=source, on_error=on_error):
            counters.inc("documents")
            yield doc
        counters.inc("bad_rows", len(errors))
        for error in errors:
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error)


class _ReadTaggedFile(_ReadDocumentFile):
    """``(tag, path)`` -> ``(tag, document)`` for each document of the file (the tag is also its source)."""

    def __init__(self):
        super().__init__(None)

    def process(self, element):
        tag, path = element
        for out in self._read(path, tag):
            yield out if isinstance(out, beam.pvalue.TaggedOutput) else (tag, out)


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
        files = pbegin | "Files" >> beam.Create(self.files) | "SpreadFiles" >> beam.Reshuffle()
        return counted(files, "ReadFile", _ReadDocumentFile(self.source), tags=(ERRORS_TAG,), main="docs")


class ReadTaggedDocuments(beam.PTransform):
    """``(tag, document)`` for every file of every tag in ``{tag: patterns}``; bad rows on ``errors``.

    One transform for all tags, not one ``ReadDocuments`` per tag joined by a Flatten: a
    Flatten of several reads is a materialized collection on the local runner (every document
    held in memory, and read before any consumer starts), while one read fuses with what
    consumes it, so documents stream from the files into the next step.
    """

    def __init__(self, patterns: dict[str, list[str] | str]):
        super().__init__()
        self.files = [(tag, path) for tag, paths in patterns.items() for path in expand(paths)]

    def expand(self, pbegin):
        files = pbegin | "Files" >> beam.Create(self.files) | "SpreadFiles" >> beam.Reshuffle()
        return counted(files, "ReadFile", _ReadTaggedFile(), tags=(ERRORS_TAG,), main="docs")
