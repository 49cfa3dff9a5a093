"""Paths on any filesystem: local, Beam filesystems (gs://, s3://, hdfs://) and http(s)://.

Local paths (no ``scheme://``) go through the standard library, with Beam's glob
semantics; Beam's :class:`FileSystems` handles the other schemes except plain HTTP, which
Common Crawl serves its files over; that goes through :mod:`urllib` (streaming, no temp
file). Beam is imported only for those other schemes, inside the functions: importing it
costs ~1.5 s, which a CLI reading local files (tokenizer training) should not pay, and
``filters`` (which never imports Beam) can use the readers built on this module.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import urllib.request
from typing import BinaryIO, Iterator

HTTP_PREFIXES = ("http://", "https://")
# What a directory given as input expands to: data files, not stats.json or errors/.
DATA_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".txt", ".txt.gz",
                 ".warc", ".warc.gz", ".wet", ".wet.gz", ".arc", ".arc.gz")


def is_http(path: str) -> bool:
    return path.startswith(HTTP_PREFIXES)


def is_local(path: str) -> bool:
    """A path on the local disk (no ``scheme://``)."""
    return "://" not in path


def expand(patterns: list[str] | str) -> list[str]:
    """Every file matched by the globs or paths, sorted, without duplicates.

    A directory expands to the data files directly inside it (see ``DATA_SUFFIXES``), or,
    when it holds none, to those of its ``documents/`` folder (a stage's output directory).
    A pattern that matches nothing is an error (a typo should not become an empty job).
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    found: list[str] = []
    for pattern in patterns:
        found.extend(_expand_one(pattern))
    return sorted(dict.fromkeys(found))


def _expand_one(pattern: str) -> list[str]:
    if is_http(pattern):
        return [pattern]
    directory = is_dir(pattern)
    if directory:
        from curation.io.completion import check_input_dir  # imports this module

        check_input_dir(pattern)  # a stage output is read only when its marker says it is whole
    if directory and not is_local(pattern):
        matches = match(join(pattern.rstrip("/"), "*"))  # "*" stays within the "directory"
    elif directory:
        # Listed, not globbed: a directory named "run[1]" is a directory, not a character class.
        matches = [os.path.join(pattern, name) for name in os.listdir(pattern)
                   if os.path.isfile(os.path.join(pattern, name))]
    elif "[" in pattern and exists(pattern):
        matches = [pattern]  # a file named "dump[1].jsonl" that exists is that file
    else:
        matches = _match_local(pattern) if is_local(pattern) else _match_beam(pattern)
    matches = [m for m in matches if not os.path.basename(m).startswith(("_", "."))]
    if directory:
        matches = [m for m in matches if m.lower().endswith(DATA_SUFFIXES)]
        nested = join(pattern.rstrip("/") if not is_local(pattern) else pattern, "documents")
        if not matches and is_dir(nested):
            return _expand_one(nested)
    if not matches:
        raise FileNotFoundError(f"no input file matches {pattern!r}")
    return matches


def is_dir(path: str) -> bool:
    """A local directory, or on an object store a prefix (no wildcards) with objects under it."""
    if is_local(path):
        return os.path.isdir(path)
    if is_http(path) or any(c in path for c in "*?["):
        return False
    return bool(match(path.rstrip("/") + "/**"))


def beam_filesystems():
    """Beam's ``FileSystems``, with options set: the launcher's own (``set_filesystem_options``), or,
    in a worker process where nothing set them (Dask, the local multi-processing runner), default
    options, so that object stores use their standard environment (``AWS_ENDPOINT_URL``,
    ``AWS_ACCESS_KEY_ID``, ``GOOGLE_APPLICATION_CREDENTIALS``, ...)."""
    from apache_beam.io.filesystems import FileSystems

    if FileSystems._pipeline_options is None:
        from apache_beam.options.pipeline_options import PipelineOptions

        FileSystems.set_options(PipelineOptions([]))
    return FileSystems


def _s3():
    """One S3 client per process and options for the calls made here: Beam's ``S3FileSystem``
    builds a new boto3 client for every call (0.1-0.4 s each, most of a small file's cost)."""
    from apache_beam.io.aws.s3io import S3IO

    options = beam_filesystems()._pipeline_options
    key = (os.getpid(), id(options))
    if _S3_CLIENT.get("key") != key:
        _S3_CLIENT.update(key=key, io=S3IO(options=options))
    return _S3_CLIENT["io"]


_S3_CLIENT: dict = {}


def _is_s3(path: str) -> bool:
    return path.startswith("s3://")


def set_filesystem_options(options) -> None:
    """Use these pipeline options (``--s3_endpoint_url``, ...) for the launcher's own file access."""
    from apache_beam.io.filesystems import FileSystems

    FileSystems.set_options(options)


def _match_beam(pattern: str) -> list[str]:
    if _is_s3(pattern):  # as Beam's FileSystem.match: list the prefix before any wildcard, keep what matches
        regex = re.compile(translate_pattern(pattern))
        return [path for path, _ in _s3().list_files(re.match(r"^[^[*?]*", pattern).group(0)) if regex.match(path)]
    return [m.path for m in beam_filesystems().match([pattern])[0].metadata_list]


def _match_local(pattern: str) -> list[str]:
    """Beam's glob semantics on the local disk, without importing Beam (~1.5 s).

    As Beam's ``LocalFileSystem.match``: a pattern without wildcards is the path itself if it
    exists; otherwise every file under the directory before the first wildcard (recursively)
    whose path matches :func:`translate_pattern` (``*`` stays within a directory, ``**``
    crosses them). One difference: a relative pattern with no directory (``*.jsonl``) lists
    the current directory, where Beam lists nothing.
    """
    if pattern.endswith(("/", "\\")):
        pattern += "*"
    prefix = re.match(r"^[^[*?]*", pattern).group(0)
    if prefix == pattern:
        return [pattern] if os.path.exists(pattern) else []
    root = os.path.dirname(prefix)
    if not os.path.isdir(root or "."):
        return []
    match = re.compile(translate_pattern(pattern)).match
    # Without "**", "?" or "[...]" no wildcard matches "/": deeper files cannot match, so the
    # walk stops at the pattern's depth (Beam walks everything; the result is the same).
    depth = None if "**" in pattern or "?" in pattern or "[" in pattern else pattern.count("/")
    found = []
    for dirpath, dirs, files in os.walk(root or "."):
        for name in files:
            path = os.path.join(dirpath, name) if root else os.path.relpath(os.path.join(dirpath, name))
            if match(path):
                found.append(path)
        if depth is not None and path_depth(dirpath, root) >= depth:
            dirs[:] = []
    return found


def path_depth(dirpath: str, root: str) -> int:
    """Separators in the path of a file directly inside ``dirpath``, as :func:`_match_local` shows it."""
    shown = dirpath if root else os.path.relpath(dirpath)
    return 0 if shown == "." else shown.count("/") + 1


def translate_pattern(pattern: str) -> str:
    """A glob as a regular expression, exactly as Beam's ``FileSystem.translate_pattern``:
    fnmatch syntax, except ``*`` is ``[^/\\\\]*`` and ``**`` is ``.*``; no quoting."""
    i, n, res = 0, len(pattern), ""
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if i < n and pattern[i] == "*":
                res += ".*"
                i += 1
            else:
                res += r"[^/\\]*"
        elif c == "?":
            res += "."
        elif c == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                res += r"\["
            else:
                stuff = pattern[i:j].replace("\\", "\\\\")
                i = j + 1
                if stuff[0] == "!":
                    stuff = "^" + stuff[1:]
                elif stuff[0] == "^":
                    stuff = "\\" + stuff
                res = f"{res}[{stuff}]"
        else:
            res += re.escape(c)
    return r"(?ms)" + res + r"\Z"


@contextlib.contextmanager
def open_read(path: str, timeout: float = 60.0) -> Iterator[BinaryIO]:
    """A binary stream of the raw bytes (no decompression: readers decide)."""
    if is_http(path):
        with urllib.request.urlopen(path, timeout=timeout) as response:  # noqa: S310 (user-given URL)
            yield response
        return
    if is_local(path):
        with open(path, "rb") as fh:
            yield fh
        return
    from apache_beam.io.filesystem import CompressionTypes

    fh = _s3().open(path, "r") if _is_s3(path) else \
        beam_filesystems().open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    try:
        yield fh
    finally:
        fh.close()


@contextlib.contextmanager
def open_write(path: str) -> Iterator[BinaryIO]:
    """A binary stream writing ``path``; local parent directories are created."""
    if is_local(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as fh:
            yield fh
        return
    fh = _RemoteWriter(path)
    try:
        yield fh
    finally:
        fh.close()


class _RemoteWriter(io.RawIOBase):
    """Writes through Beam's ``FileSystems``, opened on the first byte.

    Beam's S3 filesystem (2.77) cannot write an empty object: it completes a multipart upload
    with no parts, which S3 rejects (``MalformedXML``). An empty file on ``s3://`` is put
    directly with the S3 client Beam built from the same options.
    """

    def __init__(self, path: str):
        self.path = path
        self._fh = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if not len(data):
            return 0
        if self._fh is None:
            from apache_beam.io.filesystem import CompressionTypes

            self._fh = _s3().open(self.path, "w") if _is_s3(self.path) else \
                beam_filesystems().create(self.path, compression_type=CompressionTypes.UNCOMPRESSED)
        self._fh.write(bytes(data))
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        if self._fh is not None:
            self._fh.close()
        elif self.path.startswith("s3://"):
            _put_empty_s3_object(self.path)
        else:
            from apache_beam.io.filesystem import CompressionTypes

            beam_filesystems().create(self.path, compression_type=CompressionTypes.UNCOMPRESSED).close()
        super().close()


def _put_empty_s3_object(path: str) -> None:
    from apache_beam.io.aws.s3io import parse_s3_path

    bucket, key = parse_s3_path(path)
    _s3().client.client.put_object(Bucket=bucket, Key=key, Body=b"")


def absolute(path: str) -> str:
    """``path`` made absolute when it is local (a worker's working directory is not the launcher's)."""
    return os.path.abspath(path) if is_local(path) else path


def join(base: str, *parts: str) -> str:
    if "://" not in base:
        return os.path.join(base, *parts)
    return beam_filesystems().join(base, *parts)


def exists(path: str) -> bool:
    if is_http(path):
        return True
    if is_local(path):
        return os.path.exists(path)
    return _s3().exists(path) if _is_s3(path) else beam_filesystems().exists(path)


def read_bytes(path: str) -> bytes:
    with open_read(path) as fh:
        return fh.read()


def write_bytes(path: str, data: bytes) -> None:
    with open_write(path) as fh:
        fh.write(data)


def size(path: str) -> int:
    """The file's size in bytes (-1 for http(s), which is not asked)."""
    if is_http(path):
        return -1
    if is_local(path):
        return os.path.getsize(path)
    if _is_s3(path):
        return _s3().size(path)
    return beam_filesystems().match([path])[0].metadata_list[0].size_in_bytes


def make_dirs(path: str) -> None:
    """Create a local directory (and its parents); object stores have no directories to create."""
    if is_local(path):
        os.makedirs(path, exist_ok=True)


def match(pattern: str) -> list[str]:
    """Files matching a glob, sorted; empty when none (``expand`` raises instead)."""
    if is_local(pattern):
        return sorted(_match_local(pattern))
    from apache_beam.io.filesystem import BeamIOError

    try:
        return sorted(_match_beam(pattern))
    except BeamIOError:
        return []


def copy_file(source: str, target: str) -> None:
    """Copy one file between any two filesystems (a library's local output to the run's storage)."""
    with open_read(source) as src, open_write(target) as dst:
        import shutil

        shutil.copyfileobj(src, dst, 1 << 22)


@contextlib.contextmanager
def local_file(path: str) -> Iterator[str]:
    """A local path holding the file's bytes, for libraries that only open local files
    (fastText, sentencepiece): ``path`` itself when local, else a temporary copy."""
    if is_local(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="curation-local-") as tmp:
        local = os.path.join(tmp, path.rstrip("/").rsplit("/", 1)[-1] or "file")
        copy_file(path, local)
        yield local


def check_output_dir(path: str) -> None:
    """Fail now, in one line, when ``path`` cannot become an output directory: it is a file, a
    file is on its way, or the nearest existing directory does not let us create files (tried,
    not guessed: permissions, read-only mounts). Remote paths are checked when written."""
    if not is_local(path):
        return
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"output {path!r} is a file, not a directory")
    ancestor = os.path.abspath(path)
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise NotADirectoryError(f"output {path!r} cannot be created: {ancestor!r} is a file")
    try:
        fd, probe = tempfile.mkstemp(prefix=".curation-write-check-", dir=ancestor)
    except OSError as exc:
        raise PermissionError(f"output {path!r} is not writable: cannot create files in {ancestor!r} "
                              f"({exc.strerror or exc})") from None
    os.close(fd)
    os.remove(probe)


def remove_files(paths: list[str]) -> None:
    """Delete these files (missing ones are fine), on any filesystem."""
    for path in paths:
        if is_local(path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        elif exists(path):
            _s3().delete(path) if _is_s3(path) else beam_filesystems().delete([path])


def remove_tree(path: str) -> None:
    """Delete a directory and everything under it (missing is fine), on any filesystem."""
    if is_local(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        return
    from apache_beam.io.filesystem import BeamIOError
    from apache_beam.io.filesystems import FileSystems

    try:  # a path ending in "/" deletes every object under that prefix
        FileSystems.delete([path.rstrip("/") + "/"])
    except BeamIOError:
        pass  # nothing there


def write_atomic(path: str, data: bytes) -> None:
    """Write ``path`` so that a reader sees the old file or the whole new one, never a part.

    Locally: a temporary file in the same directory, flushed to disk, renamed over ``path``.
    On object storage a single object is only visible once its upload completes, so a plain
    write is already atomic.
    """
    if not is_local(path):
        with open_write(path) as fh:
            fh.write(data)
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def list_files(directory: str) -> dict[str, int]:
    """Every file under ``directory`` (recursively) as ``{path relative to it: size}``; missing is empty."""
    if is_local(directory):
        found = {}
        for dirpath, _, files in os.walk(directory):
            for name in files:
                full = os.path.join(dirpath, name)
                found[os.path.relpath(full, directory).replace(os.sep, "/")] = os.path.getsize(full)
        return found
    prefix = directory.rstrip("/") + "/"
    if _is_s3(prefix):  # one listing through the process's S3 client (see _s3)
        return {path[len(prefix):]: nbytes for path, nbytes in _s3().list_files(prefix) if path.startswith(prefix)}
    try:
        matched = beam_filesystems().match([prefix + "**"])[0].metadata_list
    except Exception:  # noqa: BLE001 (Beam raises BeamIOError or a client error for "nothing there")
        return {}
    return {m.path[len(prefix):]: m.size_in_bytes for m in matched if m.path.startswith(prefix)}

