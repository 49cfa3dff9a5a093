"""The ``curation docs`` pipeline: inputs -> documents -> (filters, quality) -> Parquet shards.

Inputs may mix WARC/WET files (ingested and extracted) and document files
(Parquet/JSONL/text dumps, read as they are). Output layout in ``output_dir``:

- ``documents/part-IIIII-of-NNNNN.parquet`` (or ``.jsonl.gz``): the documents, by hash of id
  (``pyarrow.parquet.read_table(output_dir + "/documents")`` reads them all);
- ``errors/errors-*.jsonl``: one line per bad record (file, offset, reason);
- ``stats.json``: every counter; ``_SUCCESS.json`` (:mod:`curation.io.completion`): config hash, counters
  and every file with its size, written last.
"""
from __future__ import annotations

import apache_beam as beam

from curation.config import config_hash
from curation.io.commoncrawl import crawl_file_urls, parse_range
from curation.io.docfiles import detect_format
from curation.io.paths import expand, join
from filters.docs_config import DocsConfig, InputSpec
from filters.extract import HtmlToDocument
from pipelines import ingest, read
from pipelines.filtering import FilterDocuments
from pipelines.metrics import run_and_report
from pipelines.options import make_options, runner_name
from pipelines.progress import ReportProgress
from pipelines.quality import ScoreAndSelect
from pipelines.write import WriteDocuments, WriteRecords

DOCUMENTS_DIR = "documents"
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".arc", ".arc.gz")


def is_warc(path: str) -> bool:
    return path.lower().endswith(WARC_SUFFIXES)


def resolve_inputs(config: DocsConfig) -> list[tuple[str, str | None]]:
    """Every input file with its source override, crawl listing included; sorted, unique."""
    files: dict[str, str | None] = {}
    for item in config.inputs:
        spec = item if isinstance(item, InputSpec) else InputSpec(path=item)
        for path in expand(spec.path):
            files.setdefault(path, spec.source)
    if config.crawl:
        start, end = parse_range(config.crawl.files)
        for url in crawl_file_urls(config.crawl.crawl_id, start, end, config.crawl.kind, config.crawl.base_url):
            files.setdefault(url, None)
    if not files:
        raise ValueError("no inputs: give --input GLOB (or inputs:/crawl: in the config)")
    for path in files:
        if not is_warc(path):
            detect_format(path)  # fail now, with the file name, rather than inside a worker
    return sorted(files.items())


def build(pipeline: beam.Pipeline, config: DocsConfig, output_dir: str,
          files: list[tuple[str, str | None]]):
    """Wire the pipeline; returns the PCollection of written shard infos."""
    warc_files = [path for path, _ in files if is_warc(path)]
    doc_files = [(path, source) for path, source in files if not is_warc(path)]
    collections, errors = [], []
    if warc_files:
        records = pipeline | "ReadWarc" >> ingest.ReadWarcRecords(warc_files, config.ingest.max_payload_bytes)
        ing = config.ingest
        make_document = HtmlToDocument(ing.extractor, ing.source, ing.min_text_chars, time_limit=ing.extract_timeout,
                                       fast=ing.trafilatura_fast, favor_precision=ing.trafilatura_favor_precision)
        extracted = records.records | "ExtractText" >> ingest.ExtractDocuments(make_document)
        collections.append(extracted.docs)
        errors += [records[ingest.ERRORS_TAG], extracted[ingest.ERRORS_TAG]]
    by_source: dict[str | None, list[str]] = {}
    for path, source in doc_files:
        by_source.setdefault(source, []).append(path)
    for index, (source, paths) in enumerate(sorted(by_source.items(), key=lambda kv: str(kv[0]))):
        loaded = pipeline | f"ReadDocs{index}" >> read.ReadDocuments(paths, source=source)
        collections.append(loaded.docs)
        errors.append(loaded[read.ERRORS_TAG])
    docs = collections | "AllDocs" >> beam.Flatten()
    # -- filters plug in here --
    docs = docs | "Filters" >> FilterDocuments(config.filters)
    # -- quality plugs in here --
    if config.quality is not None:
        docs = docs | "Quality" >> ScoreAndSelect(config.quality)
    (errors | "AllErrors" >> beam.Flatten()
     | "WriteErrors" >> WriteRecords(join(output_dir, "errors"), "errors", key="key"))
    docs = docs | "Progress" >> beam.ParDo(ReportProgress("documents"))
    return docs | "WriteDocs" >> WriteDocuments(join(output_dir, DOCUMENTS_DIR), config.output.format,
                                                records_per_shard=config.output.docs_per_shard)


def run_docs(config: DocsConfig, inputs: list[str | InputSpec] | None, output_dir: str,
             beam_args: list[str] | None = None, *, echo: bool = True) -> dict[str, dict[str, int]]:
    """The extract stage (``curation docs`` and ``curation run``) to completion; returns the
    counters (also in stats.json). ``inputs``, when given, replace ``config.inputs``."""
    if inputs:
        config = config.model_copy(update={"inputs": list(inputs)})
    files = resolve_inputs(config)
    options = make_options(beam_args, [f for f, _ in files])
    if echo:
        print(f"curation docs: {len(files)} input file(s) -> {output_dir} on {runner_name(options)}", flush=True)
    pipeline = beam.Pipeline(options=options)
    build(pipeline, config, output_dir, files)
    return run_and_report(pipeline, output_dir, echo=echo,
                          extra={"config_hash": config_hash(config), "inputs": [f for f, _ in files]},
                          marker={"stage": "docs", "config_hash": config_hash(config),
                                  "config": config.model_dump(mode="json")})

