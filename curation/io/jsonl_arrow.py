"""JSONL texts through pyarrow's JSON parser, where that reads what ``json.loads`` reads.

:func:`curation.io.docfiles.iter_file_texts` hands each block of whole lines of a JSONL file to
:func:`arrow_texts` (about 2x faster than ``json.loads`` per line: 245 MB of JSONL, 2.05 -> 1.2 s
CPU); a block it cannot vouch for comes back as None and is read line by line, so the texts
and the bad rows (with their line numbers) are the same either way (``tests/test_jsonl_texts.py``).
"""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson

from curation.document import DOCUMENT_SCHEMA, FIELD_SET, STRING_FIELDS

ARROW_MAX_BLOCK = 1 << 30


class ArrowReading:
    """How pyarrow parses one JSONL file: the document fields typed, every type one json.loads accepts.

    ``closed``: the first row has only document fields, so another field is a parse error (the
    block is read line by line) and a bare ``Inf`` can only be in a score column. Otherwise other
    fields are ignored and each block is searched for the tokens pyarrow reads and json.loads
    refuses (:func:`_bare_inf`). A field is typed as the first row has it where a document may
    hold either (an integer id, a metadata object); a row that differs fails the parse.
    """

    def __init__(self, schema: pa.Schema, closed: bool):
        self.closed = closed
        self.options = pajson.ParseOptions(explicit_schema=schema, newlines_in_values=False,
                                           unexpected_field_behavior="error" if closed else "ignore")
        self.scores = [f.name for f in schema if pa.types.is_floating(f.type)]

    @classmethod
    def for_first_line(cls, data: bytes) -> "ArrowReading":
        try:
            row = json.loads(data[:data.find(b"\n")] if b"\n" in data else data)
        except (ValueError, RecursionError):
            row = None
        row = row if isinstance(row, dict) else {}
        metadata_object = isinstance(row.get("metadata"), dict)
        fields = []
        for field in DOCUMENT_SCHEMA:
            kind = field.type
            if field.name in STRING_FIELDS and field.name != "text" and type(row.get(field.name)) is int:
                kind = pa.int64()  # an integer id (Dolma, RedPajama); a bool is not an int here
            elif field.name == "metadata" and metadata_object:
                kind = pa.struct([])  # any object, its fields not read (so ignored: the reading is not closed)
            fields.append(pa.field(field.name, kind))
        return cls(pa.schema(fields), closed=set(row) <= FIELD_SET and not metadata_object)


def arrow_texts(data: bytes, reading: ArrowReading) -> list[str | None] | None:
    """The text of each line of ``data`` (None: no text), parsed by pyarrow, or None to read it line by line.

    None where pyarrow could read something json.loads does not: a line that is not one object
    (:func:`_object_lines`), a parse error (a bad row or a type json.loads would not pass), a bare
    ``Inf`` or ``-NaN`` (pyarrow reads them, json.loads refuses them), bytes that are not UTF-8
    in a text (json.loads gets them as U+FFFD). pyarrow refuses lone surrogates itself; a text
    it reads is valid UTF-8, which :func:`document_text` keeps as it is.
    """
    return table_texts(arrow_table(data, reading))


def arrow_table(data: bytes, reading: ArrowReading) -> pa.Table | None:
    """The first half of :func:`arrow_texts`, the parse (~90% of its time, outside the GIL: so it
    can run on a thread ahead of the reader): the block's table, or None to read it line by line."""
    if len(data) >= ARROW_MAX_BLOCK:
        return None  # one line of gigabytes: beyond pyarrow's 32-bit block size and string offsets
    lines = _object_lines(data)
    if not lines or (not reading.closed and _bare_inf(data)):
        return None
    try:
        table = pajson.read_json(pa.BufferReader(data), parse_options=reading.options,
                                 read_options=pajson.ReadOptions(use_threads=False, block_size=len(data) + 1))
    except pa.ArrowException:
        return None
    if table.num_rows != lines or any(_not_finite(table.column(name)) for name in reading.scores):
        return None  # a line of two objects; a score "Inf", "-NaN" or an integer too big for a float
    return table


def table_texts(table: pa.Table | None) -> list[str | None] | None:
    """The second half of :func:`arrow_texts`: the ``text`` column as Python strings (None: read
    the block line by line)."""
    if table is None:
        return None
    try:
        return table.column("text").to_pylist()
    except UnicodeDecodeError:
        return None


def _object_lines(data: bytes) -> int:
    """How many lines ``data`` has when each is ``{...}`` with nothing around it (CR LF or LF), else 0.

    Then pyarrow's rows are the lines: no JSON value goes on over a newline between "}" and "{"
    (and no string holds a raw newline), so with as many rows as lines none holds two. A line
    that is blank or starts with anything else (``null``, which pyarrow 25 crashes on as the
    first row) is read line by line.
    """
    if data[:1] != b"{":
        return 0
    bytes_ = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(bytes_ == ord("\n"))
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    last = ends - 1  # the byte before each newline: "}", or "\r" then "}"
    if bytes_[last[0]] == ord("\r"):
        if not (bytes_[last] == ord("\r")).all():
            return 0
        last -= 1
    if not (bytes_[ends[:-1] + 1] == ord("{")).all() or not (bytes_[last] == ord("}")).all():
        return 0
    return len(ends)


def _bare_inf(data: bytes) -> bool:
    """Whether ``data`` may hold ``Inf``, ``-Inf`` or ``-NaN`` as a value: pyarrow reads them, json.loads
    refuses the row. (``NaN``, ``Infinity``, ``-Infinity`` both read.) A string holding one right
    after ``:``, ``,`` or ``[`` counts too: its block is only read line by line."""
    if b"-NaN" in data:
        return True
    at = data.find(b"Inf")
    while at >= 0:
        after = data[at + 3:at + 4]
        if not (after.isalnum() or after == b"_"):  # "Inf" ends there: not "Infinity", not "Information"
            before = data[max(0, at - 8):at].rstrip(b" \t\r-")
            if not before or before[-1:] in (b":", b",", b"["):
                return True
        at = data.find(b"Inf", at + 3)
    return False


def _not_finite(column: pa.ChunkedArray) -> bool:
    """Whether a score column holds NaN or an infinity: maybe a "-NaN" or "Inf" json.loads refuses,
    or an integer too large for a float (which json.loads reads, and document_text cannot convert)."""
    if column.null_count == len(column):
        return False
    # numpy, not pyarrow.compute (whose import costs the CLI 50 ms and 8 MB); a null is a NaN here
    return int(np.count_nonzero(~np.isfinite(column.to_numpy()))) > column.null_count
