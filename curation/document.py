"""The one document schema used by every stage.

A document travels through the pipelines as a plain ``dict`` whose keys are the
fields of :data:`DOCUMENT_SCHEMA` (plain dicts pickle cheaply between Beam
workers and need no custom coder). Stages fill the nullable fields they own
(language, scores, dedup cluster) and never drop unknown keys.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pyarrow as pa

DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),  # stable: hash of WARC-Record-ID, else URL, else text
        pa.field("url", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("source", pa.string()),  # e.g. "commoncrawl", "wikipedia", a mixture source name
        pa.field("crawl_date", pa.string()),  # ISO-8601 WARC-Date
        pa.field("warc_file", pa.string()),
        pa.field("warc_offset", pa.int64()),
        pa.field("charset", pa.string()),  # encoding used to decode the HTML
        pa.field("language", pa.string()),  # filled by language id
        pa.field("language_score", pa.float64()),
        pa.field("quality_score", pa.float64()),  # filled by the quality classifier
        pa.field("dedup_cluster", pa.string()),  # filled by near-dup dedup: id of the cluster's kept doc
        pa.field("dedup_cluster_size", pa.int64()),
        pa.field("duplicate", pa.bool_()),  # True when dedup removed this document
        pa.field("metadata", pa.string()),  # JSON object for anything else a source carries
    ]
)

FIELDS = tuple(DOCUMENT_SCHEMA.names)
FIELD_SET = frozenset(FIELDS)  # (Schema.names builds a new list on every call: slow in per-row loops)


def make_doc_id(record_id: str | None = None, url: str | None = None, text: str | None = None) -> str:
    """A stable 32-hex-char id: SHA-256 of the WARC-Record-ID, else the URL, else the text."""
    key = record_id or url or text
    if not key:
        raise ValueError("a document id needs a record id, a URL or a text")
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def new_document(text: str, **fields: Any) -> dict[str, Any]:
    """A document dict with every schema field present (unset ones are None)."""
    doc: dict[str, Any] = dict.fromkeys(FIELDS)
    doc.update(fields)
    doc["text"] = text
    if not doc.get("id"):
        doc["id"] = make_doc_id(url=doc.get("url"), text=text)
    return doc


STRING_FIELDS = ("id", "url", "text", "source", "crawl_date", "warc_file", "charset", "language", "dedup_cluster")
INTEGER_FIELDS = ("warc_offset", "dedup_cluster_size")
NUMBER_FIELDS = ("language_score", "quality_score")
SURROGATE = re.compile("[\ud800-\udfff]")


class BadDocument(ValueError):
    """A row that cannot become a document (a field of the wrong type, no text); one line."""


NO_TEXT = "document has no 'text' field"  # the reason a row without text (or with a null one) is bad


def clean_string(value: str) -> str:
    """``value`` with lone surrogates (valid JSON, not valid UTF-8) replaced by U+FFFD, as browsers do."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return SURROGATE.sub("\ufffd", value)


def _coerce(name: str, value: Any) -> Any:
    """One field of a foreign row in its schema type, or :class:`BadDocument`; never a repr."""
    if value is None:
        return None
    kind = type(value).__name__
    if name in STRING_FIELDS:
        if isinstance(value, str):
            return clean_string(value)
        if isinstance(value, int) and not isinstance(value, bool) and name != "text":
            return str(value)  # integer ids (Dolma, RedPajama) are ids
        raise BadDocument(f"{name} must be a string, got {kind}")
    if name in INTEGER_FIELDS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise BadDocument(f"{name} must be an integer, got {kind}")
    if name in NUMBER_FIELDS:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise BadDocument(f"{name} must be a number, got {kind} {str(value)[:40]!r}")
    if name == "duplicate":
        if isinstance(value, bool):
            return value
        raise BadDocument(f"duplicate must be true or false, got {kind}")
    if name == "metadata":
        if isinstance(value, str):
            return clean_string(value)
        if isinstance(value, (dict, list)):  # Dolma-style metadata object
            return clean_string(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
        raise BadDocument(f"metadata must be a JSON object or string, got {kind}")
    return value


def document_text(row: dict[str, Any]) -> str:
    """The text of a foreign row, checked exactly as :func:`normalize_document` checks the row."""
    if row.get("text") is None:
        raise BadDocument(NO_TEXT)
    text = ""
    for name, value in row.items():
        if name in FIELD_SET:
            coerced = _coerce(name, value)
            if name == "text":
                text = coerced
    return text


def normalize_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Coerce a dict read from a foreign file (JSONL dump, Parquet) into the schema.

    Keys outside the schema are folded into ``metadata`` so nothing is lost. A field of the
    wrong type raises :class:`BadDocument` (a ValueError): integer ids become strings, numeric
    strings numbers, a metadata object JSON; a list as text, a word as a score, are bad rows.
    """
    if doc.get("text") is None:
        raise BadDocument(NO_TEXT)
    known = {k: _coerce(k, v) for k, v in doc.items() if k in FIELD_SET}
    extra = {k: v for k, v in doc.items() if k not in FIELD_SET}
    out = new_document(known.pop("text"), **known)
    if extra:
        meta = _metadata_object(out.get("metadata"))
        meta.update(extra)
        out["metadata"] = clean_string(json.dumps(meta, sort_keys=True, default=str))
    return out


def _metadata_object(metadata: str | None) -> dict[str, Any]:
    if not metadata:
        return {}
    try:
        value = json.loads(metadata)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"metadata": metadata}


def documents_to_table(docs: list[dict[str, Any]]) -> pa.Table:
    """A pyarrow table in :data:`DOCUMENT_SCHEMA` (missing fields become nulls)."""
    columns = {name: [d.get(name) for d in docs] for name in FIELDS}
    return pa.Table.from_pydict(columns, schema=DOCUMENT_SCHEMA)
