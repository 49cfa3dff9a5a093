"""Ingest: WARC/WET files -> raw records -> extracted documents, with counters and errors.

One file is one element (reading a WARC is sequential); its records are extracted in the
same fused stage, streaming. (They are not reshuffled: a local runner would hold every
record of the input in memory at that break; many files spread over workers instead.)
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from curation.io.warc import RawRecord, RecordError, SkippedRecord, iter_records
from filters.extract import ExtractionError, HtmlToDocument, Page
from pipelines.counters import CountingDoFn, counted

ERRORS_TAG = "errors"
# Extraction outcomes that are a page without text, not damage: counted as drops, not errors.
DROP_REASONS = ("empty_text",)


class _ReadWarcFile(CountingDoFn):
    def __init__(self, max_payload_bytes: int):
        self.max_payload_bytes = max_payload_bytes
        self._inc = self.counters("ingest").inc

    def process(self, path: str):
        self._inc("files")
        for item in iter_records(path, max_payload_bytes=self.max_payload_bytes):
            if isinstance(item, RecordError):
                self._inc(f"errors:{item.reason.split(':', 1)[0]}")
                yield beam.pvalue.TaggedOutput(ERRORS_TAG, item.to_dict())
            elif isinstance(item, SkippedRecord):
                self._inc(f"skipped:{item.record_type}")
            else:
                self._inc(f"records:{item.record_type}")
                self._inc("payload_bytes", len(item.payload))
                yield item


class ReadWarcRecords(beam.PTransform):
    """Content records of the given WARC/WET files; damage goes to the ``errors`` output."""

    def __init__(self, files: list[str], max_payload_bytes: int = 10 << 20):
        super().__init__()
        self.files = files
        self.max_payload_bytes = max_payload_bytes

    def expand(self, pbegin):
        files = pbegin | "WarcFiles" >> beam.Create(self.files) | "SpreadFiles" >> beam.Reshuffle()
        return counted(files, "ReadRecords", _ReadWarcFile(self.max_payload_bytes), tags=(ERRORS_TAG,),
                       main="records")


class _Extract(CountingDoFn):
    """Records -> documents, one page in the extraction child while the next record is read.

    ``process(record n+1)`` decodes record n+1, then takes page n's text, then hands page n+1 to
    the child and returns: the child extracts while this process reads and parses the next WARC
    record (64 MB of WARC on one worker: 6.7 -> 5.5 s wall, the bare loop's; docs/ingest.md).
    So a document leaves one record late, the last of a bundle from ``finish_bundle``; the
    output is written sorted, so its order does not matter.
    """

    def __init__(self, make_document: HtmlToDocument):
        self.make_document = make_document
        self._inc = self.counters("extract").inc
        self._pending: Page | None = None

    def __getstate__(self):
        return {**self.__dict__, "_pending": None}

    def teardown(self):
        self.make_document.close()  # its extraction child process

    def start_bundle(self):
        super().start_bundle()
        if self._pending is not None:  # a failed bundle left a page in the child: start afresh
            self._pending = None
            self.make_document.close()

    def process(self, record: RawRecord):
        self._inc("in")
        if not self.make_document.wants(record):
            self._inc("dropped:not_html")  # images, PDFs, JSON: not pages this pipeline reads
            return
        try:
            page = self.make_document.prepare(record)
        except ExtractionError as exc:
            page = None
            yield from self._failed(record, exc)
        if self._pending is not None:
            pending, self._pending = self._pending, None
            yield from self._finish(pending)
        if page is not None:
            try:
                self.make_document.start(page)
                self._pending = page
            except ExtractionError as exc:
                yield from self._failed(record, exc)

    def finish_bundle(self):
        if self._pending is not None:
            pending, self._pending = self._pending, None
            for out in self._finish(pending):
                if isinstance(out, beam.pvalue.TaggedOutput):
                    yield beam.pvalue.TaggedOutput(out.tag, WindowedValue(out.value, MIN_TIMESTAMP, (GlobalWindow(),)))
                else:
                    yield WindowedValue(out, MIN_TIMESTAMP, (GlobalWindow(),))
        yield from super().finish_bundle()

    def _finish(self, page: Page):
        try:
            doc = self.make_document.finish(page)
        except ExtractionError as exc:
            yield from self._failed(page.record, exc)
            return
        self._inc("out")
        self._inc("bytes_out", len(doc["text"].encode("utf-8", "surrogatepass")))
        yield doc

    def _failed(self, record: RawRecord, exc: ExtractionError):
        if exc.reason in DROP_REASONS:
            self._inc(f"dropped:{exc.reason}")
            return
        self._inc(f"dropped:error_{exc.reason}")
        yield beam.pvalue.TaggedOutput(ERRORS_TAG, {
            "file": record.warc_file, "offset": record.offset, "reason": str(exc)[:300],
            "url": record.url, "key": f"{record.warc_file}:{record.offset:015d}"})


class ExtractDocuments(beam.PTransform):
    """Records -> documents (HTML responses extracted, WET conversions decoded)."""

    def __init__(self, make_document: HtmlToDocument):
        super().__init__()
        self.make_document = make_document

    def expand(self, records):
        return counted(records, "Extract", _Extract(self.make_document), tags=(ERRORS_TAG,), main="docs")
