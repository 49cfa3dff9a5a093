"""Reading a shard directory's ``manifest.json`` (layout in docs/architecture.md)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curation.shards.format import FORMAT_VERSION, MANIFEST_NAME, SHARD_PREFIX

REQUIRED_KEYS = ("seq_len", "pad_id", "vocab_size", "shards")


def load_manifest(shards_dir: str | Path) -> dict[str, Any]:
    """The manifest as a dict; a missing or malformed manifest is a directory-level error."""
    path = Path(shards_dir) / MANIFEST_NAME
    if not Path(shards_dir).is_dir():
        raise FileNotFoundError(f"shard directory {str(shards_dir)!r} does not exist")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: not a shard directory")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: the top level must be an object")
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ValueError(f"{path}: missing keys {missing}")
    version = manifest.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {version} is not supported (expected {FORMAT_VERSION})")
    if not all(isinstance(e, dict) and "file" in e for e in manifest["shards"]):
        raise ValueError(f"{path}: every entry of 'shards' needs a 'file'")
    return manifest


def shard_files(shards_dir: str | Path, manifest: dict[str, Any]) -> list[tuple[str, dict | None]]:
    """(file name, manifest entry or None) for every listed shard and every unlisted one on disk."""
    listed = {e["file"]: e for e in manifest["shards"]}
    on_disk = sorted(p.name for p in Path(shards_dir).glob(f"{SHARD_PREFIX}-*.parquet"))
    names = list(listed) + [n for n in on_disk if n not in listed]
    return [(name, listed.get(name)) for name in names]

