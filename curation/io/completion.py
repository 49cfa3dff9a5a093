"""A stage's completion marker, ``_SUCCESS.json``: the one sign that an output directory is whole.

Every stage (``curation docs``/``dedup``/``quality score``/``shards``/... and each stage of
``curation run``) works the same way on its output directory:

1. :func:`replace_output` before any work: the marker goes first (from then on the directory
   reads as "not done"), then every file an earlier write left (its parts, errors, stats), so a
   rerun with fewer shards cannot leave stale parts beside the new ones.
2. The stage writes its files.
3. :func:`write_success` last, atomically (:func:`curation.io.paths.write_atomic`): the marker
   lists every file of the output with its size, plus what the stage adds (counters, seconds,
   the ``curation run`` fingerprint).

A reader trusts a directory only through :func:`check_input_dir` (called for every directory
given as input): a stage output without a readable marker, with a listed part missing or of
another size, or with a data file the marker does not list, is refused in one line. A marker
that does not parse (truncated by a full disk or a kill) means "not done", never a crash.
"""
from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from curation.io.paths import DATA_SUFFIXES, exists, is_local, join, list_files, read_bytes, remove_files, write_atomic

SUCCESS_FILE = "_SUCCESS.json"
# Files a stage of this project writes in its output directory (relative paths): what
# replace_output removes, and what marks a directory as a stage output even without a marker.
STAGE_FILES = re.compile(r"^(documents|errors|duplicates|pairs)/|^(stats|counts|manifest|_STAGE)\.json$"
                         r"|^shard-[^/]*\.parquet$")
PART_FILE = re.compile(r"^(part|errors|pairs)-\d{5}-of-\d{5}\.")  # pipelines.write.shard_name


class IncompleteOutputError(ValueError):
    """A stage output given as input that is not whole (interrupted, still running, or changed since)."""


def read_success(output_dir: str) -> dict[str, Any] | None:
    """The marker's content, or None when there is none or it does not parse (= not done)."""
    path = join(output_dir, SUCCESS_FILE)
    if not exists(path):
        return None
    try:
        marker = json.loads(read_bytes(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("files"), dict):
        return None
    return marker


def write_success(output_dir: str, **fields: Any) -> dict[str, Any]:
    """Write the marker, listing every file now under ``output_dir``; returns it."""
    files = {rel: size for rel, size in sorted(list_files(output_dir).items()) if not _ignored(rel)}
    marker = {"complete": True, **fields, "files": files}
    write_atomic(join(output_dir, SUCCESS_FILE),
                 (json.dumps(marker, indent=2, sort_keys=True, default=str) + "\n").encode())
    return marker


def update_success(output_dir: str, **fields: Any) -> dict[str, Any]:
    """Add ``fields`` to the marker a stage wrote (or write one, listing the files, when it wrote none)."""
    marker = read_success(output_dir)
    if marker is None:
        return write_success(output_dir, **fields)
    marker.update(fields)
    write_atomic(join(output_dir, SUCCESS_FILE),
                 (json.dumps(marker, indent=2, sort_keys=True, default=str) + "\n").encode())
    return marker


def problems(output_dir: str, marker: dict[str, Any], under: str = "") -> list[str]:
    """What does not match the marker under ``output_dir/under``: missing, resized or unlisted files."""
    listed = {rel: size for rel, size in marker["files"].items() if rel.startswith(under)}
    base = join(output_dir, under.rstrip("/")) if under else output_dir
    found = {under + rel: size for rel, size in list_files(base).items()}
    out = []
    for rel, size in sorted(listed.items()):
        if rel not in found:
            out.append(f"{rel} is missing")
        elif found[rel] != size:
            out.append(f"{rel} has {found[rel]} bytes, the marker says {size} (truncated or replaced)")
    for rel in sorted(set(found) - set(listed)):
        if not _ignored(rel) and rel.lower().endswith(DATA_SUFFIXES):
            out.append(f"{rel} is not part of the finished output (left from an earlier write?)")
    return out


def is_complete(output_dir: str) -> bool:
    marker = read_success(output_dir)
    return marker is not None and not problems(output_dir, marker)


def replace_output(output_dir: str, inputs: list[str] | tuple[str, ...] = ()) -> None:
    """Clear what an earlier write left in ``output_dir`` (marker first); other files stay.

    Refuses an input inside what would be removed (``--input out/documents --output out``).
    """
    for path in inputs:
        rel = _relative(path, output_dir)
        if _same(path, output_dir) or (rel is not None and (rel == SUCCESS_FILE or STAGE_FILES.match(rel))):
            raise ValueError(f"input {path!r} is inside the output {output_dir!r}, which the stage replaces; "
                             "write to another directory")
    old = read_success(output_dir)
    remove_files([join(output_dir, SUCCESS_FILE)])  # from here on the directory reads as not done
    stale = set(old["files"]) if old else set()
    stale |= {rel for rel in list_files(output_dir) if STAGE_FILES.match(rel)}
    remove_files([join(output_dir, *rel.split("/")) for rel in sorted(stale)])


def check_input_dir(directory: str) -> None:
    """Raise :class:`IncompleteOutputError` when ``directory`` is a stage output that is not whole.

    The marker is looked for in the directory and, for ``OUT/documents`` given directly, in its
    parent. A directory that no stage wrote (no marker, no stage files) is a plain folder of
    files and passes.
    """
    root, under = directory, ""
    if not exists(join(directory, SUCCESS_FILE)):
        parent = posixpath.dirname(directory.rstrip("/")) if not is_local(directory) else _local_parent(directory)
        name = posixpath.basename(directory.rstrip("/\\"))
        if parent and exists(join(parent, SUCCESS_FILE)):
            root, under = parent, name + "/"
        elif _looks_like_stage_output(directory):
            raise IncompleteOutputError(
                f"{directory!r} is an unfinished stage output: no {SUCCESS_FILE} (the stage was interrupted or "
                "is still running); run that stage again")
        else:
            return
    marker = read_success(root)
    if marker is None:
        raise IncompleteOutputError(f"{join(root, SUCCESS_FILE)!r} is unreadable (truncated?): the output is not "
                                    "known to be finished; run that stage again")
    found = problems(root, marker, under)
    if found:
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        raise IncompleteOutputError(f"{directory!r} does not match its {SUCCESS_FILE}: {found[0]}{more}; "
                                    "run that stage again")


def _looks_like_stage_output(directory: str) -> bool:
    """A ``documents/`` folder, stage files or parts named as our writers name them."""
    if is_local(directory):  # the top level only: a user's folder may be deep
        import os

        names = [name + "/" if os.path.isdir(os.path.join(directory, name)) else name
                 for name in os.listdir(directory)]
    else:
        names = list(list_files(directory))
    return any(STAGE_FILES.match(rel) or PART_FILE.match(posixpath.basename(rel)) for rel in names)


def _ignored(rel: str) -> bool:
    """Not listed in the marker: itself, temporary files (``.name.tmp``) and ``stats.json`` (run facts:
    runner, paths as given; listing its size would make two identical outputs' markers differ)."""
    name = posixpath.basename(rel)
    return rel in (SUCCESS_FILE, "stats.json") or name.startswith(".")


def _local_parent(directory: str) -> str:
    import os

    return os.path.dirname(os.path.abspath(directory))


def _same(path: str, directory: str) -> bool:
    if is_local(path) and is_local(directory):
        import os

        return os.path.abspath(path) == os.path.abspath(directory)
    return path.rstrip("/") == directory.rstrip("/")


def _relative(path: str, directory: str) -> str | None:
    """``path`` relative to ``directory`` (``/``-separated) when it lies inside it, else None."""
    if is_local(path) != is_local(directory):
        return None
    if is_local(path):
        import os

        path, directory = os.path.abspath(path), os.path.abspath(directory)
        if os.path.commonpath([path, directory]) != directory or path == directory:
            return None
        return os.path.relpath(path, directory).replace(os.sep, "/")
    prefix = directory.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else None
