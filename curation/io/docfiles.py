"""Read and write document files: Parquet, JSONL (optionally gzipped) and plain text.

Paths may be local or on any Beam filesystem (gs://, s3://, ...): opening goes
through :mod:`curation.io.paths`. Writers are deterministic: the same documents in
the same order give byte-identical files (gzip headers carry no timestamp).
"""
from __future__ import annotations

import gzip
import io
import json
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from curation.document import DOCUMENT_SCHEMA, documents_to_table, new_document, normalize_document
from curation.io.paths import open_read, open_write

FORMATS = ("parquet", "jsonl", "jsonl.gz", "text")


def detect_format(path: str) -> str:
    """The document format implied by a file name."""
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl.gz", ".json.gz", ".ndjson.gz")):
        return "jsonl.gz"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith((".txt", ".txt.gz")):
        return "text"
    raise ValueError(f"cannot tell the document format of {path!r}: use .parquet, .jsonl[.gz] or .txt[.gz]")


def iter_documents(path: str, source: str | None = None, batch_size: int = 1024,
                   on_error: Callable[[str, int, str], None] | None = None) -> Iterator[dict[str, Any]]:
    """Documents of one file, in file order, coerced into the document schema.

    Plain text files hold one document per line. ``source`` fills the field where
    the file does not set it. A bad row (not JSON, no text) raises ``ValueError``,
    unless ``on_error(path, line_or_row, reason)`` is given: then it is reported and skipped.
    """
    fmt = detect_format(path)
    if fmt == "parquet":
        with open_read(path) as fh:
            parquet = pq.ParquetFile(fh)
            row_no = 0
            for batch in parquet.iter_batches(batch_size=batch_size):
                for row in batch.to_pylist():
                    row_no += 1
                    try:
                        doc = normalize_document(row)
                    except ValueError as exc:
                        if on_error is None:
                            raise ValueError(f"{path}: row {row_no}: {exc}") from exc
                        on_error(path, row_no, str(exc))
                        continue
                    yield _with_source(doc, source)
        return
    with open_read(path) as raw:
        stream = gzip.GzipFile(fileobj=raw) if path.lower().endswith(".gz") else raw
        text_stream = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
        for line_no, line in enumerate(text_stream, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if fmt == "text":
                yield _with_source(new_document(line, url=None, metadata=None), source)
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
                doc = normalize_document(row)
            except ValueError as exc:  # JSONDecodeError is a ValueError
                if on_error is None:
                    raise ValueError(f"{path}:{line_no}: {exc}") from exc
                on_error(path, line_no, str(exc))
                continue
            yield _with_source(doc, source)


def iter_texts(paths: Iterable[str], on_error: Callable[[str, int, str], None] | None = None,
               batch_size: int = 8192) -> Iterator[str]:
    """Only the text of every document in ``paths`` (for tokenizer and classifier training).

    The same texts, in the same order, as ``doc["text"] for doc in iter_documents(path)``,
    with the same rows reported bad; see :func:`iter_file_texts`.
    """
    for path in paths:
        yield from iter_file_texts(path, on_error=on_error, batch_size=batch_size)


def iter_file_texts(path: str, on_error: Callable[[str, int, str], None] | None = None,
                    batch_size: int = 8192) -> Iterator[str]:
    """The texts of one document file, in file order, without building documents.

    A fast path for readers that only want text (4-5x faster than :func:`iter_documents`
    on JSONL, more on Parquet): Parquet reads only the ``text`` column; JSONL parses each
    line and takes ``text``. A row without text (missing or null), a line that is not a JSON
    object, raises ``ValueError`` unless ``on_error(path, line_or_row, reason)`` is given,
    as in :func:`iter_documents`. (Unlike it, an empty text with no id or URL is yielded.)
    """
    fmt = detect_format(path)
    if fmt == "parquet":
        with open_read(path) as fh:
            parquet = pq.ParquetFile(fh)
            if "text" not in parquet.schema_arrow.names:
                for row_no in range(1, parquet.metadata.num_rows + 1):
                    _bad_row(on_error, path, f" row {row_no}", row_no, "document has no 'text' field")
                return
            row_no = 0
            for batch in parquet.iter_batches(batch_size=batch_size, columns=["text"]):
                for text in batch.column(0).to_pylist():
                    row_no += 1
                    if text is None:
                        _bad_row(on_error, path, f" row {row_no}", row_no, "document has no 'text' field")
                        continue
                    yield text if isinstance(text, str) else str(text)
        return
    with open_read(path) as raw:
        stream = gzip.GzipFile(fileobj=raw) if path.lower().endswith(".gz") else raw
        text_stream = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
        loads = json.loads
        for line_no, line in enumerate(text_stream, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if fmt == "text":
                yield line
                continue
            try:
                row = loads(line)
            except ValueError as exc:  # JSONDecodeError is a ValueError
                _bad_row(on_error, path, str(line_no), line_no, str(exc))
                continue
            text = row.get("text") if isinstance(row, dict) else None
            if text is None:
                reason = "document has no 'text' field" if isinstance(row, dict) else "not a JSON object"
                _bad_row(on_error, path, str(line_no), line_no, reason)
                continue
            yield text if isinstance(text, str) else str(text)


def _bad_row(on_error: Callable[[str, int, str], None] | None, path: str, where: str, number: int,
             reason: str) -> None:
    if on_error is None:
        raise ValueError(f"{path}:{where}: {reason}")
    on_error(path, number, reason)


def _with_source(doc: dict[str, Any], source: str | None) -> dict[str, Any]:
    if source and not doc.get("source"):
        doc["source"] = source
    return doc


def write_documents(path: str, docs: list[dict[str, Any]], fmt: str | None = None) -> int:
    """Write ``docs`` to ``path`` in ``fmt`` (default: from the file name); returns bytes written."""
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return write_table(path, documents_to_table(docs))
    payload = "".join(json.dumps(_jsonable(d), ensure_ascii=False, sort_keys=True) + "\n" for d in docs)
    data = payload.encode("utf-8")
    if fmt == "jsonl.gz":
        data = gzip.compress(data, mtime=0)
    elif fmt != "jsonl":
        raise ValueError(f"cannot write documents as {fmt!r}; choose parquet, jsonl or jsonl.gz")
    with open_write(path) as fh:
        fh.write(data)
    return len(data)


def write_table(path: str, table: pa.Table, compression: str = "zstd") -> int:
    """Write a pyarrow table as one Parquet file; returns bytes written."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=compression, write_statistics=True)
    data = sink.getvalue().to_pybytes()
    with open_write(path) as fh:
        fh.write(data)
    return len(data)


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in DOCUMENT_SCHEMA.names} | {
        k: v for k, v in doc.items() if k not in DOCUMENT_SCHEMA.names
    }
