"""``manifest.json`` of a shard directory: build, write, read, verify (the only manifest reader).

The manifest is what a training job trusts: seq_len, pad id and tokenizer hash to
check against its model, per-shard row counts to index samples without opening
files, and a SHA-256 per shard so that a damaged or swapped file is refused.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
from typing import Any

from curation.io.paths import exists, is_local, join, open_read, open_write
from curation.shards.format import FORMAT_VERSION, MANIFEST_NAME, SHARD_GLOB


class ShardCorruptError(ValueError):
    """A shard file does not match its manifest entry (checksum, size, schema)."""


def build_manifest(*, seq_len: int, pad_id: int, eos_id: int | None, bos_id: int | None, vocab_size: int,
                   tokenizer_path: str, tokenizer_sha256: str, packing: str, seed: int,
                   shards: list[dict[str, Any]], mixture: list[dict[str, Any]],
                   packing_stats: dict[str, int] | None = None, total_tokens_budget: int | None = None) -> dict:
    shards = sorted(shards, key=lambda s: s["file"])
    entries = [{k: s[k] for k in ("file", "rows", "tokens", "real_tokens", "pad_tokens", "bytes", "sha256",
                                  "source_tokens") if k in s} for s in shards]
    totals = {"rows": sum(s["rows"] for s in shards), "tokens": sum(s["tokens"] for s in shards),
              "real_tokens": sum(s["real_tokens"] for s in shards),
              "pad_tokens": sum(s["pad_tokens"] for s in shards)}
    totals["pad_fraction"] = round(totals["pad_tokens"] / totals["tokens"], 6) if totals["tokens"] else 0.0
    if packing_stats:
        totals.update({k: int(v) for k, v in sorted(packing_stats.items())})
    return {
        "format_version": FORMAT_VERSION,
        "seq_len": seq_len, "pad_id": pad_id, "eos_id": eos_id, "bos_id": bos_id, "vocab_size": vocab_size,
        "tokenizer": {"path": tokenizer_path, "sha256": tokenizer_sha256},
        "packing": packing, "seed": seed, "total_tokens_budget": total_tokens_budget,
        "shards": entries, "mixture": mixture, "totals": totals,
    }


def write_manifest(directory: str, manifest: dict) -> str:
    path = join(directory, MANIFEST_NAME)
    with open_write(path) as fh:
        fh.write((json.dumps(manifest, indent=2) + "\n").encode())
    return path


REQUIRED_KEYS = ("seq_len", "pad_id", "vocab_size", "shards")


def read_manifest(directory: str | os.PathLike) -> dict:
    """The manifest of a shard directory, with a clear error when it is missing, malformed or foreign.

    The one reader: the training reader, the Megatron export and validation all call it.
    """
    directory = os.fspath(directory)
    path = join(directory, MANIFEST_NAME)
    if is_local(directory) and not os.path.isdir(directory):
        raise FileNotFoundError(f"shard directory {directory!r} does not exist")
    if not exists(path):
        raise FileNotFoundError(f"{directory!r} is not a shard directory: it has no {MANIFEST_NAME}")
    with open_read(path) as fh:
        try:
            manifest = json.loads(fh.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: the top level must be an object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {manifest.get('format_version')!r} is not {FORMAT_VERSION}")
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ValueError(f"{path}: missing keys {missing}")
    if not isinstance(manifest["shards"], list) or \
            not all(isinstance(e, dict) and "file" in e for e in manifest["shards"]):
        raise ValueError(f"{path}: 'shards' must be a list of entries, each with a 'file'")
    return manifest


def shard_files(directory: str | os.PathLike, manifest: dict) -> list[tuple[str, dict | None]]:
    """(file name, manifest entry or None) for every listed shard, then every unlisted one on disk."""
    listed = {e["file"]: e for e in manifest["shards"]}
    directory = os.fspath(directory)
    on_disk = sorted(os.path.basename(p) for p in glob.glob(os.path.join(directory, SHARD_GLOB))) \
        if is_local(directory) else []
    names = list(listed) + [n for n in on_disk if n not in listed]
    return [(name, listed.get(name)) for name in names]


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open_read(os.fspath(path)) as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_shard(directory: str, entry: dict) -> str:
    """The shard's path if its SHA-256 matches the manifest, else :class:`ShardCorruptError`."""
    path = os.path.join(directory, entry["file"])
    if not os.path.exists(path):
        raise ShardCorruptError(f"shard {entry['file']} listed in the manifest is missing from {directory}")
    actual = file_sha256(path)
    if actual != entry["sha256"]:
        raise ShardCorruptError(
            f"shard {path} is corrupt: sha256 {actual} does not match the manifest's {entry['sha256']}; "
            "the file was damaged or replaced after writing; re-create or re-download it")
    return path
