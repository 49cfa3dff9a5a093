"""Read and write document files: Parquet, JSONL (optionally gzipped) and plain text.

Paths may be local or on any Beam filesystem (gs://, s3://, ...): opening goes
through :mod:`curation.io.paths`. Writers are deterministic: the same documents in
the same order give byte-identical files (gzip headers carry no timestamp).
"""
from __future__ import annotations

import gzip
import io
import json
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation.document import (
    DOCUMENT_SCHEMA,
    NO_TEXT,
    clean_string,
    document_text,
    documents_to_table,
    new_document,
    normalize_document,
)
from curation.io.gunzip import GzipDamage, gunzip_chunks
from curation.io.jsonl_arrow import ArrowReading, arrow_table, table_texts
from curation.io.parquet_batches import iter_batches
from curation.io.paths import open_read, open_write

FORMATS = ("parquet", "jsonl", "jsonl.gz", "text")


# A Parquet row group (what a writer holds) ends at this many documents or text bytes.
ROWS_PER_GROUP = 2048
TEXT_BYTES_PER_GROUP = 4 << 20
# JSONL and text files are read in blocks of whole lines of about this size: one pyarrow parse each
# (1 MB parses as fast as 4 MB, and the texts of 245 MB of JSONL come out at +19 MB peak RSS, not +64).
LINE_BLOCK = 1 << 20
# JSONL blocks parsed ahead of the reader on a thread (pyarrow's parse runs outside the GIL).
PARSE_AHEAD = 2
BOM = b"\xef\xbb\xbf"


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
    the file does not set it. A bad row (not JSON, no text, a field of the wrong type), a
    damaged gzip stream or a file that is not Parquet raises ``ValueError`` (one line naming the
    file), unless ``on_error(path, line_or_row, reason)`` is given: then it is reported and the
    reading goes on (every row before the damage of a file is kept); row 0 means the whole file.
    """
    fmt = detect_format(path)
    if fmt == "parquet":
        for row_no, row in _parquet_rows(path, None, batch_size, on_error):
            try:
                doc = normalize_document(row)
            except ValueError as exc:
                _bad_row(on_error, path, f" row {row_no}", row_no, str(exc))
                continue
            yield _with_source(doc, source)
        return
    for line_no, line in _file_lines(path, on_error):
        if fmt == "text":
            yield _with_source(new_document(clean_string(line), url=None, metadata=None), source)
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            doc = normalize_document(row)
        except ValueError as exc:  # JSONDecodeError is a ValueError
            _bad_row(on_error, path, str(line_no), line_no, str(exc))
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
                    batch_size: int = 8192, block_size: int = LINE_BLOCK) -> Iterator[str]:
    """The texts of one document file, in file order, without building documents.

    A fast path for readers that only want text (4-5x faster than :func:`iter_documents`
    on JSONL, more on Parquet): Parquet reads only the ``text`` column (and any column whose
    type needs a per-row check); JSONL goes through pyarrow's JSON parser a block of lines at a
    time (:func:`_jsonl_texts`), checked as :func:`iter_documents` checks each row, so the same
    rows are reported bad (``on_error``) or raise. (Unlike it, an empty text with no id or URL
    is yielded.)
    """
    fmt = detect_format(path)
    if fmt == "parquet":
        for row_no, row in _parquet_rows(path, "text", batch_size, on_error):
            try:
                yield document_text(row)
            except ValueError as exc:
                _bad_row(on_error, path, f" row {row_no}", row_no, str(exc))
        return
    if fmt == "text":
        for _, line in _file_lines(path, on_error):
            yield clean_string(line)
        return
    yield from _jsonl_texts(path, on_error, block_size)


@dataclass
class TextBlock:
    """The texts of one block of lines of a JSONL file (:func:`iter_jsonl_text_blocks`): ``texts``,
    or ``prepared``: what ``on_column`` made of the block's texts on the parse thread."""

    texts: list[str] | None = None
    prepared: Any = None


def iter_jsonl_text_blocks(path: str, on_error: Callable[[str, int, str], None],
                           on_column: Callable[[pa.ChunkedArray], Any] | None = None,
                           block_size: int = LINE_BLOCK, parse_threads: int = 1) -> Iterator[TextBlock]:
    """The texts of a JSONL file a block of lines at a time: those of :func:`iter_file_texts`, bad
    rows reported to ``on_error`` (required: a block is read whole before it is handed over).

    ``on_column(texts)``, where given, runs on the parse thread with the ``text`` column of each
    block pyarrow parsed (valid UTF-8, no nulls): work on the texts there runs beside the reader's
    own work (the tokenizer splits sentences so: ``tokenizer.sp_backend``). What it returns is the
    block's ``prepared``; a block it returns None for, or pyarrow did not parse, comes as ``texts``.
    ``parse_threads``: blocks parsed (and ``on_column`` run) at once; they come in file order all the same.
    """
    for first, block, (table, prepared) in _parsed_blocks(path, on_error, block_size, on_column, parse_threads):
        if prepared is not None:
            yield TextBlock(prepared=prepared)
        else:
            yield TextBlock(texts=list(_block_texts(path, first, block, table, on_error)))


def _jsonl_texts(path: str, on_error: Callable[[str, int, str], None] | None,
                 block_size: int) -> Iterator[str]:
    """The texts of a JSONL file: what :func:`_json_texts` reads from its lines, ~2x faster.

    Each block of lines is parsed by pyarrow where that is sure to read what ``json.loads`` and
    :func:`document_text` read line by line (:func:`curation.io.jsonl_arrow.arrow_texts`), else line by line: the same
    texts, and the same bad rows with the same line numbers. Two valid rows only Python's own
    limits refuse (nesting deeper than its recursion limit, an integer of over 4300 digits in
    a field that is not a document field) are read, not reported. The parse of the next
    ``PARSE_AHEAD`` blocks runs on a thread meanwhile (pyarrow's parse: most of the reading's CPU).
    """
    for first, block, (table, _) in _parsed_blocks(path, on_error, block_size, None):
        yield from _block_texts(path, first, block, table, on_error)


def _parsed_blocks(path: str, on_error: Callable[[str, int, str], None] | None, block_size: int,
                   on_column: Callable[[pa.ChunkedArray], Any] | None,
                   threads: int = 1) -> Iterator[tuple[int, bytes, tuple]]:
    """(first line number, block, (its pyarrow table or None, ``on_column``'s result or None)) of
    each block of lines of a JSONL file, in file order, parsed ``PARSE_AHEAD`` blocks ahead (or one
    more than ``threads``) on ``threads`` threads."""
    ahead = max(PARSE_AHEAD, threads + 1)
    # In file order: ("block", first line, block, its parse on the thread), ("error", on_error's
    # arguments) and ("raise", a read error): what reading ahead met is reported in its turn.
    queue: deque = deque()
    report = (lambda *args: queue.append(("error", args))) if on_error else None
    blocks = _line_blocks(path, report, block_size)
    pool = reading = None
    try:
        while True:
            try:
                first, block = next(blocks)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - raised in its turn, after the texts before it
                queue.append(("raise", exc))
                break
            data = block.removeprefix(BOM) if first == 1 else block
            if reading is None:
                reading, pool = ArrowReading.for_first_line(data), ThreadPoolExecutor(threads, "jsonl-parse")
            queue.append(("block", first, block, pool.submit(_parse, data, reading, on_column)))
            while len(queue) > ahead:
                yield from _in_turn(queue.popleft(), on_error)
        while queue:
            yield from _in_turn(queue.popleft(), on_error)
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _parse(data: bytes, reading: ArrowReading, on_column: Callable[[pa.ChunkedArray], Any] | None) -> tuple:
    """On the parse thread: (the block's table or None, ``on_column`` of its texts or None)."""
    table = arrow_table(data, reading)
    if table is None or on_column is None:
        return table, None
    texts = table.column("text")
    try:
        texts.validate(full=True)  # UTF-8: a bad byte is read as U+FFFD, line by line
    except pa.ArrowInvalid:
        return table, None
    return table, None if texts.null_count else on_column(texts)


def _in_turn(item: tuple, on_error: Callable[[str, int, str], None] | None) -> Iterator[tuple[int, bytes, tuple]]:
    if item[0] == "error":
        on_error(*item[1])
    elif item[0] == "raise":
        raise item[1]
    else:
        _, first, block, parse = item
        yield first, block, parse.result()


def _block_texts(path: str, first: int, block: bytes, table: pa.Table | None,
                 on_error: Callable[[str, int, str], None] | None) -> Iterator[str]:
    texts = table_texts(table)
    if texts is None:
        yield from _json_texts(path, _block_lines(first, block), on_error)
        return
    for line_no, text in enumerate(texts, first):
        if text is None:  # json.loads reads this row; document_text refuses it first of all
            _bad_row(on_error, path, str(line_no), line_no, NO_TEXT)
        else:
            yield text


def _json_texts(path: str, lines: Iterable[tuple[int, str]],
                on_error: Callable[[str, int, str], None] | None) -> Iterator[str]:
    """The texts of numbered JSONL lines, one ``json.loads`` each; bad rows reported."""
    loads = json.loads
    for line_no, line in lines:
        try:
            row = loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            yield document_text(row)
        except ValueError as exc:  # JSONDecodeError is a ValueError
            _bad_row(on_error, path, str(line_no), line_no, str(exc))


def _file_lines(path: str, on_error: Callable[[str, int, str], None] | None) -> Iterator[tuple[int, str]]:
    """(line number, line) of the non-blank lines of a JSONL/text file (see :func:`_block_lines`)."""
    for first, block in _line_blocks(path, on_error):
        yield from _block_lines(first, block)


def _line_blocks(path: str, on_error: Callable[[str, int, str], None] | None,
                 size: int = LINE_BLOCK) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, block) for blocks of about ``size`` bytes of whole lines of a file, gzipped or not.

    The last block may end without a newline. A damaged gzip stream ends the file: every
    complete line before the damage is in a block, the line it cut in none, and the damage is
    one bad row at that line's number.
    """
    line_no = 1
    with open_read(path) as raw:
        chunks = gunzip_chunks(raw) if path.lower().endswith(".gz") else iter(lambda: raw.read(size), b"")
        pending: list[bytes] = []
        held = 0
        try:
            for chunk in chunks:
                pending.append(chunk)
                held += len(chunk)
                if held < size or b"\n" not in chunk:  # (a long line: not joined again for each chunk)
                    continue
                data = b"".join(pending)
                cut = data.rfind(b"\n") + 1
                pending, held = [data[cut:]], len(data) - cut
                if cut:
                    yield line_no, data[:cut]
                    line_no += _newlines(data, cut)
        except GzipDamage as exc:
            data = b"".join(pending)
            cut = data.rfind(b"\n") + 1
            if cut:
                yield line_no, data[:cut]
                line_no += _newlines(data, cut)
            _bad_row(on_error, path, str(line_no), line_no, str(exc))
            return
        rest = b"".join(pending)
        if rest:
            yield line_no, rest


def _newlines(data: bytes, end: int) -> int:
    # numpy counts a byte twice as fast as bytes.count
    return int(np.count_nonzero(np.frombuffer(data, np.uint8, end) == ord("\n")))


def _block_lines(first: int, block: bytes) -> Iterator[tuple[int, str]]:
    """(line number, line) of the non-blank lines of a block: UTF-8 (bad bytes as U+FFFD), the BOM of
    line 1 dropped, without the newline and a CR before it."""
    # Decoded a block at a time (cut at a newline, so no character is split): fast.
    for line_no, line in enumerate(block.decode("utf-8", "replace").split("\n"), first):
        if line_no == 1:
            line = line.removeprefix("\ufeff")
        if line.strip():
            yield line_no, line.removesuffix("\r")


def _parquet_rows(path: str, only: str | None, batch_size: int,
                  on_error: Callable[[str, int, str], None] | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, row) of a Parquet file. ``only``: read just that column, unless another column's
    type needs a per-row check. A file that is not Parquet, or breaks while read, is one bad row."""
    row_no = 0
    with open_read(path) as fh:
        try:
            parquet = pq.ParquetFile(fh)
            columns = None if only is None else _columns_to_check(parquet.schema_arrow, only)
            batches = iter_batches(parquet, batch_size, columns)
            for batch in batches:
                for row in batch.to_pylist() if batch.num_columns else [{}] * batch.num_rows:
                    row_no += 1
                    yield row_no, row
        except (pa.ArrowException, OSError) as exc:
            # Row 0 is the file as a whole: it could not be opened as Parquet at all.
            where, reason = (0, "not_parquet") if row_no == 0 else (row_no + 1, "damaged_parquet")
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            _bad_row(on_error, path, f" row {where}", where, f"{reason}: {detail}")


def _columns_to_check(schema: pa.Schema, only: str) -> list[str]:
    """``only`` plus the schema columns whose Arrow type differs from the document schema's."""
    names = [only] if only in schema.names else []
    for name in schema.names:
        if name != only and name in DOCUMENT_SCHEMA.names and \
                schema.field(name).type != DOCUMENT_SCHEMA.field(name).type:
            names.append(name)
    return names


def _bad_row(on_error: Callable[[str, int, str], None] | None, path: str, where: str, number: int,
             reason: str) -> None:
    if on_error is None:
        raise ValueError(f"{path}:{where}: {reason}")
    on_error(path, number, reason)


def _with_source(doc: dict[str, Any], source: str | None) -> dict[str, Any]:
    if source and not doc.get("source"):
        doc["source"] = source
    return doc


def write_documents(path: str, docs: Iterable[dict[str, Any]], fmt: str | None = None,
                    rows_per_group: int = ROWS_PER_GROUP) -> int:
    """Write ``docs`` to ``path`` in ``fmt`` (default: from the file name); returns bytes written.

    Streams: ``docs`` may be any iterable; one Parquet row group (``rows_per_group``
    documents or ``TEXT_BYTES_PER_GROUP`` characters of text, whichever comes first) is held
    at a time.
    """
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        groups = batched(docs, rows_per_group, TEXT_BYTES_PER_GROUP, size=lambda d: len(d.get("text") or ""))
        return write_parquet_batches(path, (documents_to_table(group) for group in groups), DOCUMENT_SCHEMA)
    if fmt not in ("jsonl", "jsonl.gz"):
        raise ValueError(f"cannot write documents as {fmt!r}; choose parquet, jsonl or jsonl.gz")
    lines = (json.dumps(_jsonable(d), ensure_ascii=False, sort_keys=True) + "\n" for d in docs)
    return write_lines(path, lines, gzipped=fmt == "jsonl.gz")


def write_lines(path: str, lines: Iterable[str], gzipped: bool = False) -> int:
    """Write text lines as UTF-8 (gzip without a timestamp or name when ``gzipped``); returns bytes."""
    with open_write(path) as raw:
        counted = _CountingWriter(raw)
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=counted, mtime=0) if gzipped else counted
        for chunk in batched(lines, 1024):
            stream.write("".join(chunk).encode("utf-8"))
        if gzipped:
            stream.close()
        return counted.written


def write_table(path: str, table: pa.Table, compression: str = "zstd") -> int:
    """Write a pyarrow table as one Parquet file; returns bytes written."""
    return write_parquet_batches(path, [table], table.schema, compression)


def write_parquet_batches(path: str, tables: Iterable[pa.Table], schema: pa.Schema,
                          compression: str = "zstd") -> int:
    """Write tables as the row groups of one Parquet file, streaming; returns bytes written."""
    with open_write(path) as raw:
        counted = _CountingWriter(raw)
        with pq.ParquetWriter(counted, schema, compression=compression, write_statistics=True) as writer:
            for table in tables:
                writer.write_table(table, row_group_size=max(1, table.num_rows))
        return counted.written


class _CountingWriter(io.RawIOBase):
    """A write-only stream that counts the bytes passed to the stream it wraps."""

    def __init__(self, raw):
        self.raw = raw
        self.written = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.written

    def write(self, data) -> int:
        self.raw.write(data)
        self.written += len(data)
        return len(data)


def batched(items: Iterable[Any], count: int, max_size: int | None = None,
            size: Callable[[Any], int] | None = None) -> Iterator[list[Any]]:
    """Lists of up to ``count`` consecutive items (and, given ``size``, ``max_size`` in total)."""
    chunk, total = [], 0
    for item in items:
        chunk.append(item)
        if size is not None:
            total += size(item)
        if len(chunk) >= count or (max_size is not None and total >= max_size):
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in DOCUMENT_SCHEMA.names} | {
        k: v for k, v in doc.items() if k not in DOCUMENT_SCHEMA.names
    }
