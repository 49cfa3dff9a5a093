"""``manifest.json`` of a shard directory: build, write, read, verify (the only manifest reader).

The manifest is what a training job trusts: seq_len, pad id and tokenizer hash to
check against its model, per-shard row counts to index samples without opening
files, and a SHA-256 per shard so that a damaged or swapped file is refused.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from typing import Any, BinaryIO, Iterator

from curation.io.paths import exists, is_local, join, match, open_read, write_atomic
from curation.shards.format import FORMAT_VERSION, MANIFEST_NAME, SHARD_GLOB
from curation.shards.mixture import SourcePlan, mixture_table


class ShardCorruptError(ValueError):
    """A shard file does not match its manifest entry (checksum, size, schema)."""


def build_manifest(*, seq_len: int, pad_id: int, eos_id: int | None, bos_id: int | None, vocab_size: int,
                   tokenizer_path: str, tokenizer_sha256: str, packing: str, seed: int,
                   shards: list[dict[str, Any]], plans: dict[str, SourcePlan],
                   packing_stats: dict[str, int] | None = None, total_tokens_budget: int | None = None) -> dict:
    """The manifest from the shard entries of :func:`curation.shards.writer.write_shard` and the mixture plan.

    Each shard entry keeps its tokens per source and gets ``source_shares`` (of its real
    tokens); ``blend`` has the largest distance of any shard's share from its source's weight.
    """
    shards = sorted(shards, key=lambda s: s["file"])
    entries = [{k: s[k] for k in ("file", "rows", "tokens", "real_tokens", "pad_tokens", "bytes", "sha256",
                                  "source_tokens") if k in s} for s in shards]
    weights = {name: p.weight for name, p in plans.items()}
    worst = 0.0
    for e in entries:
        real = sum(e.get("source_tokens", {}).values())
        e["source_shares"] = {src: round(e["source_tokens"].get(src, 0) / real, 6) if real else 0.0
                              for src in weights}
        worst = max([worst] + [abs(e["source_shares"][src] - w) for src, w in weights.items()])
    realized = {name: 0 for name in plans}
    for e in entries:
        for src, n in e.get("source_tokens", {}).items():
            realized[src] = realized.get(src, 0) + n
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
        "blend": {"order": "largest_token_shortfall", "max_shard_share_error": round(worst, 6)},
        "shards": entries, "mixture": mixture_table(plans, realized), "totals": totals,
    }


def write_manifest(directory: str, manifest: dict) -> str:
    path = join(directory, MANIFEST_NAME)
    write_atomic(path, (json.dumps(manifest, indent=2) + "\n").encode())  # never half a manifest
    return path


REQUIRED_KEYS = ("seq_len", "pad_id", "vocab_size", "shards")
# Keys whose types a reader relies on: name -> (type, description).
TOP_TYPES = {"seq_len": int, "pad_id": int, "vocab_size": int, "shards": list}
ENTRY_TYPES = {"file": str, "rows": int, "sha256": str}


def read_manifest(directory: str | os.PathLike) -> dict:
    """The manifest of a shard directory, verified: a clear one-line error when it is missing,
    malformed or foreign (:class:`ShardCorruptError` for a manifest that cannot be trusted).

    The one reader: the training reader, the Megatron export and validation all call it.
    Every entry must name a plain file inside the directory (no ``..``, no absolute path, no
    separator), once; ``seq_len``, ``pad_id``, ``vocab_size`` and each entry's ``rows`` are
    integers, ``file`` and ``sha256`` strings.
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
            raise ShardCorruptError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise ShardCorruptError(f"{path}: the top level must be an object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {manifest.get('format_version')!r} is not {FORMAT_VERSION}")
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ShardCorruptError(f"{path}: missing keys {missing}")
    for key, kind in TOP_TYPES.items():
        _check_type(path, key, manifest[key], kind, "")
    if not all(isinstance(e, dict) and "file" in e for e in manifest["shards"]):
        raise ShardCorruptError(f"{path}: 'shards' must be a list of entries, each with a 'file'")
    seen: set[str] = set()
    for number, entry in enumerate(manifest["shards"]):
        where = f" (shard entry {number})"
        for key, kind in ENTRY_TYPES.items():
            if key not in entry:
                raise ShardCorruptError(f"{path}: missing key {key!r}{where}")
            _check_type(path, key, entry[key], kind, where)
        name = entry["file"]
        if not is_plain_name(name):
            raise ShardCorruptError(f"{path}: {name!r}{where} is not a plain file name inside the shard directory")
        if name in seen:
            raise ShardCorruptError(f"{path}: {name!r} is listed twice")
        seen.add(name)
    return manifest


def _check_type(path: str, key: str, value: Any, kind: type, where: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ShardCorruptError(f"{path}: {key!r}{where} must be {kind.__name__}, not {type(value).__name__} "
                                f"{str(value)[:40]!r}")


def is_plain_name(name: str) -> bool:
    """A file name directly inside a directory: not empty, ``.``, ``..``, absolute, or with a separator."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0") and \
        not os.path.isabs(name) and not re.match(r"^[A-Za-z]:", name)


def check_listing(directory: str | os.PathLike, manifest: dict) -> None:
    """Every listed shard exists and every shard file in the directory is listed, else ShardCorruptError."""
    for name, entry in shard_files(directory, manifest):
        if entry is None:
            raise ShardCorruptError(f"{join(os.fspath(directory), name)} is not listed in {MANIFEST_NAME}: "
                                    "a shard of another run? remove it or rewrite the directory")
        if not exists(join(os.fspath(directory), name)):
            raise ShardCorruptError(f"shard {name} listed in the manifest is missing from {os.fspath(directory)}")


def shard_files(directory: str | os.PathLike, manifest: dict) -> list[tuple[str, dict | None]]:
    """(file name, manifest entry or None) for every listed shard, then every unlisted one on disk."""
    listed = {e["file"]: e for e in manifest["shards"]}
    directory = os.fspath(directory)
    on_disk = sorted(p.rsplit("/", 1)[-1] for p in match(join(directory, SHARD_GLOB)))
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
    with open_verified_shard(directory, entry):
        pass
    return join(directory, entry["file"])


@contextlib.contextmanager
def open_verified_shard(directory: str, entry: dict) -> Iterator[BinaryIO]:
    """The shard file, open and checked: the bytes hashed are the bytes the caller then reads.

    A local file is hashed through the handle returned (a file swapped in after the check is
    not read); a remote one is copied while hashed into a spool (disk past 64 MiB), which is read.
    """
    if not is_plain_name(entry["file"]):
        raise ShardCorruptError(f"{entry['file']!r} is not a plain file name inside {directory}")
    path = join(directory, entry["file"])
    if not exists(path):
        raise ShardCorruptError(f"shard {entry['file']} listed in the manifest is missing from {directory}")
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_read(path))
        if is_local(path):
            target = source
        else:
            target = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=64 << 20))
        digest = hashlib.sha256()
        while block := source.read(1 << 22):
            digest.update(block)
            if target is not source:
                target.write(block)
        actual = digest.hexdigest()
        if actual != entry["sha256"]:
            raise ShardCorruptError(
                f"shard {path} is corrupt: sha256 {actual} does not match the manifest's {entry['sha256']}; "
                "the file was damaged or replaced after writing; re-create or re-download it")
        target.seek(0)
        yield target
