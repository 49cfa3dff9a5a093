"""The one document schema used by every stage.

A document travels through the pipelines as a plain ``dict`` whose keys are the
fields of :data:`DOCUMENT_SCHEMA` (plain dicts pickle cheaply between Beam
workers and need no custom coder). Stages fill the nullable fields they own
(language, scores, dedup cluster) and never drop unknown keys.
"""
from __future__ import annotations

import hashlib
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


def normalize_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Coerce a dict read from a foreign file (JSONL dump, Parquet) into the schema.

    Keys outside the schema are folded into ``metadata`` so nothing is lost.
    """
    import json

    if "text" not in doc or doc["text"] is None:
        raise ValueError("document has no 'text' field")
    known = {k: v for k, v in doc.items() if k in DOCUMENT_SCHEMA.names}
    extra = {k: v for k, v in doc.items() if k not in DOCUMENT_SCHEMA.names}
    out = new_document(str(known.pop("text")), **known)
    if extra:
        meta = json.loads(out["metadata"]) if out.get("metadata") else {}
        meta.update(extra)
        out["metadata"] = json.dumps(meta, sort_keys=True, default=str)
    if out["warc_offset"] is not None:
        out["warc_offset"] = int(out["warc_offset"])
    return out


def documents_to_table(docs: list[dict[str, Any]]) -> pa.Table:
    """A pyarrow table in :data:`DOCUMENT_SCHEMA` (missing fields become nulls)."""
    columns = {name: [d.get(name) for d in docs] for name in FIELDS}
    return pa.Table.from_pydict(columns, schema=DOCUMENT_SCHEMA)
