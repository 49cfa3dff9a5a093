"""Token shard directories for validation tests, written with pyarrow in the format of
curation/shards/format.py (independent of the shard writer, so planted defects are exact).

The token streams come from a small synthetic "language": a sparse Markov chain whose
unigram distribution is Zipf-like (a few frequent tokens, a long tail) and whose next
token is predictable from the current one, so a tiny model learns it in tens of steps.
Documents are wrapped in BOS/EOS and packed first-fit into fixed-length rows.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation.shards.format import FORMAT_VERSION, MANIFEST_NAME, shard_file_name, shard_schema

PAD, BOS, EOS = 0, 1, 2
FIRST_CONTENT = 3
TOKENIZER_SHA = hashlib.sha256(b"synthetic tokenizer v1").hexdigest()
OTHER_TOKENIZER_SHA = hashlib.sha256(b"some other tokenizer").hexdigest()
PER_TOKEN = ("input_ids", "attention_mask", "segment_ids", "position_ids", "loss_mask")
PER_SEGMENT = ("segment_sources", "segment_doc_ids", "segment_offsets")


@dataclass
class Language:
    """Markov chain over content ids: each token has 4 successors with probs .55/.25/.12/.08."""
    vocab_size: int
    successors: np.ndarray  # [vocab_size, 4]
    zipf: np.ndarray        # unigram start distribution over content ids

    @classmethod
    def make(cls, vocab_size: int = 512, seed: int = 0) -> "Language":
        rng = np.random.default_rng(seed)
        content = np.arange(FIRST_CONTENT, vocab_size)
        zipf = 1.0 / np.arange(1, len(content) + 1) ** 1.1
        zipf /= zipf.sum()
        successors = rng.choice(content, size=(vocab_size, 4), p=zipf)
        return cls(vocab_size, successors, zipf)

    def document(self, length: int, rng: np.random.Generator) -> list[int]:
        picks = rng.choice(4, size=length, p=[0.55, 0.25, 0.12, 0.08])
        tok = int(rng.choice(np.arange(FIRST_CONTENT, self.vocab_size), p=self.zipf))
        out = [BOS, tok]
        for k in picks[: length - 1]:
            tok = int(self.successors[tok, k])
            out.append(tok)
        return out + [EOS]

    def documents(self, n: int, rng: np.random.Generator, min_len: int = 8, max_len: int = 150):
        return [self.document(int(rng.integers(min_len, max_len)), rng) for _ in range(n)]


def pack(docs: list[list[int]], seq_len: int, source: str = "web", prefix: str = "doc") -> dict:
    """First-fit packing into rows (documents longer than a row are split into row-sized pieces)."""
    pieces = [(f"{prefix}-{i}", j, d[j:j + seq_len]) for i, d in enumerate(docs)
              for j in range(0, len(d), seq_len)]
    rows: list[list[tuple[str, int, list[int]]]] = []
    fill: list[int] = []
    for doc_id, offset, toks in pieces:
        for r, used in enumerate(fill):
            if used + len(toks) <= seq_len:
                rows[r].append((doc_id, offset, toks))
                fill[r] += len(toks)
                break
        else:
            rows.append([(doc_id, offset, toks)])
            fill.append(len(toks))
    cols = {k: np.zeros((len(rows), seq_len), np.int64) for k in PER_TOKEN}
    cols["input_ids"][:] = PAD
    for name in PER_SEGMENT:
        cols[name] = []
    for r, segments in enumerate(rows):
        at = 0
        for s, (_, _, toks) in enumerate(segments, start=1):
            sl = slice(at, at + len(toks))
            cols["input_ids"][r, sl] = toks
            cols["attention_mask"][r, sl] = 1
            cols["loss_mask"][r, sl] = 1
            cols["segment_ids"][r, sl] = s
            cols["position_ids"][r, sl] = np.arange(len(toks))
            at += len(toks)
        cols["segment_sources"].append([source] * len(segments))
        cols["segment_doc_ids"].append([d for d, _, _ in segments])
        cols["segment_offsets"].append([o for _, o, _ in segments])
    return cols


def all_padding(n_rows: int, seq_len: int) -> dict:
    cols = {k: np.zeros((n_rows, seq_len), np.int64) for k in PER_TOKEN}
    cols.update({name: [[] for _ in range(n_rows)] for name in PER_SEGMENT})
    return cols


def write_shard(path: Path, cols: dict, seq_len: int, tokenizer_sha: str | None = TOKENIZER_SHA) -> None:
    """One shard file; ``tokenizer_sha`` is stamped as Parquet metadata ``tokenizer_sha256``."""
    schema = shard_schema(seq_len)
    if tokenizer_sha:
        schema = schema.with_metadata({b"tokenizer_sha256": tokenizer_sha.encode()})
    arrays = []
    for field in schema:
        if not pa.types.is_fixed_size_list(field.type):  # per-segment lists
            arrays.append(pa.array(cols[field.name], type=field.type))
        else:
            flat = pa.array(np.asarray(cols[field.name]).reshape(-1), type=field.type.value_type)
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, seq_len))
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)


def read_shard(path: Path, seq_len: int) -> dict:
    """A shard's columns back as numpy matrices / Python lists (the inverse of write_shard)."""
    table = pq.read_table(path)
    cols = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        cols[name] = (col.to_pylist() if name in PER_SEGMENT else
                      col.flatten().to_numpy(zero_copy_only=False).reshape(-1, seq_len).copy())
    return cols


def write_shard_dir(out: Path, shards: list[dict], seq_len: int, vocab_size: int,
                    shard_tokenizers: dict[int, str] | None = None) -> dict:
    """Write shards and a manifest.json (layout of docs/architecture.md); returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, cols in enumerate(shards):
        name = shard_file_name(i, len(shards))
        write_shard(out / name, cols, seq_len, (shard_tokenizers or {}).get(i, TOKENIZER_SHA))
        mask = np.asarray(cols["attention_mask"])
        entries.append({"file": name, "rows": int(mask.shape[0]), "tokens": int(mask.size),
                        "real_tokens": int(mask.sum()), "pad_tokens": int(mask.size - mask.sum()),
                        "sha256": hashlib.sha256((out / name).read_bytes()).hexdigest()})
    manifest = {
        "format_version": FORMAT_VERSION, "seq_len": seq_len, "pad_id": PAD, "eos_id": EOS, "bos_id": BOS,
        "vocab_size": vocab_size, "tokenizer": {"path": "synthetic", "sha256": TOKENIZER_SHA},
        "packing": "first_fit", "seed": 0, "shards": entries,
        "mixture": [{"source": "web", "weight": 1.0, "tokens_available": 0, "epochs": 0.0,
                     "tokens_taken": 0, "share_realized": 1.0}],
        "totals": {k: sum(e[k] for e in entries) for k in ("rows", "tokens", "pad_tokens")},
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return manifest


def random_token_shard(lang: Language, docs: int, seq_len: int, seed: int) -> dict:
    """Same document lengths and BOS/EOS framing, but uniformly random content ids."""
    rng = np.random.default_rng(seed)
    out = []
    for doc in lang.documents(docs, rng, max_len=90):
        out.append([BOS] + list(rng.integers(FIRST_CONTENT, lang.vocab_size, len(doc) - 2)) + [EOS])
    return pack(out, seq_len, prefix="rand")


def other_tokenizer_shard(lang: Language, docs: int, seq_len: int, seed: int) -> dict:
    """The same kind of text through a different vocabulary mapping (content ids permuted)."""
    rng = np.random.default_rng(seed)
    perm = np.arange(lang.vocab_size)
    perm[FIRST_CONTENT:] = FIRST_CONTENT + rng.permutation(lang.vocab_size - FIRST_CONTENT)
    docs_ = lang.documents(docs, rng, max_len=90)
    return pack([[int(perm[t]) for t in d] for d in docs_], seq_len, prefix="tok2")


def repeated_doc_shard(lang: Language, docs: int, seq_len: int, seed: int) -> dict:
    doc = lang.document(40, np.random.default_rng(seed))
    return pack([doc] * docs, seq_len, prefix="rep")


def corrupt_after_manifest(path: Path, seq_len: int) -> None:
    """Change one token of a written shard (bit rot, partial rewrite): still valid, checksum differs."""
    cols = read_shard(path, seq_len)
    ids = cols["input_ids"]
    col = int(np.flatnonzero(cols["attention_mask"][0])[5])
    ids[0, col] = FIRST_CONTENT + (int(ids[0, col]) - FIRST_CONTENT + 1) % 100
    write_shard(path, cols, seq_len)
