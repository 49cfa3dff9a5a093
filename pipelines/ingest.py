"""Ingest: WARC/WET files -> raw records -> extracted documents, with counters and errors.

One file is one element (reading a WARC is sequential); its records are extracted in the
same fused stage, streaming. (They are not reshuffled: a local runner would hold every
record of the input in memory at that break; many files spread over workers instead.)
"""
from __future__ import annotations

import apache_beam as beam

from curation.io.warc import RawRecord, RecordError, SkippedRecord, iter_records
from filters.extract import ExtractionError, HtmlToDocument
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
    def __init__(self, make_document: HtmlToDocument):
        self.make_document = make_document
        self._inc = self.counters("extract").inc

    def teardown(self):
        self.make_document.close()  # its extraction child process

    def process(self, record: RawRecord):
        self._inc("in")
        if not self.make_document.wants(record):
            self._inc("dropped:not_html")  # images, PDFs, JSON: not pages this pipeline reads
            return
        try:
            doc = self.make_document(record)
        except ExtractionError as exc:
            if exc.reason in DROP_REASONS:
                self._inc(f"dropped:{exc.reason}")
                return
            self._inc(f"dropped:error_{exc.reason}")
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, {
                "file": record.warc_file, "offset": record.offset, "reason": str(exc)[:300],
                "url": record.url, "key": f"{record.warc_file}:{record.offset:015d}"})
            return
        self._inc("out")
        self._inc("bytes_out", len(doc["text"].encode("utf-8", "surrogatepass")))
        yield doc


class ExtractDocuments(beam.PTransform):
    """Records -> documents (HTML responses extracted, WET conversions decoded)."""

    def __init__(self, make_document: HtmlToDocument):
        super().__init__()
        self.make_document = make_document

    def expand(self, records):
        return counted(records, "Extract", _Extract(self.make_document), tags=(ERRORS_TAG,), main="docs")
