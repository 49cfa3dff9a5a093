"""A per-page time limit on HTML extraction: the extractor runs in a child process.

resiliparse and lxml (under trafilatura) run C code that no signal or thread can interrupt,
so a runaway page is only stopped by stopping the process it runs in. ``TimeLimitedExtractor``
keeps one child (``python -m filters.extract_guard``) per worker, hands it one page at a time
over pipes and waits at most ``limit`` seconds (counted from the hand-over) for the text; on a
timeout it kills the child, raises :class:`TimedOut` and starts a fresh child for the next page.
:meth:`~TimeLimitedExtractor.send` and :meth:`~TimeLimitedExtractor.receive` split the call, so
the caller can read the next record while the child extracts this one. The cost is two pipe
transfers per page (see ``bench/ingest.py``); the child's start (imports, ~0.3 s) is not
counted against any page.

Protocol (binary, little-endian): the child gets its settings as JSON in ``argv[1]``, writes
one ready byte, then for each page reads ``u32 length + UTF-8 html`` and answers
``status byte (0 ok, 1 error) + u32 length + UTF-8 text (or the error message)``.
"""
from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
import time
from typing import Any

try:
    import fcntl
except ImportError:  # Windows has none: the pipes keep their size
    fcntl = None

_HEADER = struct.Struct("<I")
_START_SECONDS = 120.0
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Python 3.10+ on Linux; 1031 in <linux/fcntl.h>
_PIPE_BYTES = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size  # generous: a cold interpreter on a loaded machine


class TimedOut(Exception):
    """The page took longer than the limit; the child that worked on it was killed."""


class ExtractorFailed(Exception):
    """The extractor raised in the child (message: ``Type: text``)."""


class TimeLimitedExtractor:
    """``extract_text(html, **settings)`` with at most ``limit`` seconds per page."""

    def __init__(self, limit: float, settings: dict[str, Any]):
        self.limit = limit
        self.settings = dict(settings)
        self._proc: subprocess.Popen | None = None
        self._sent_at: float | None = None  # when the page in the child was sent (None: no page there)

    def __getstate__(self):  # pickled into Beam DoFns: the child process stays behind
        return {"limit": self.limit, "settings": self.settings, "_proc": None, "_sent_at": None}

    def __call__(self, html: str) -> str:
        self.send(html)
        return self.receive()

    def send(self, html: str) -> None:
        """Hand ``html`` to the child and return at once: the caller goes on while it extracts.

        One page at a time: :meth:`receive` must take its text before the next ``send``.
        """
        if self._sent_at is not None:
            raise RuntimeError("send() again before receive(): one page at a time")
        proc = self._proc or self._start()
        data = html.encode("utf-8", "surrogatepass")
        try:
            proc.stdin.write(_HEADER.pack(len(data)) + data)
            proc.stdin.flush()
        except OSError as exc:  # the child died (crash in C code, OOM kill)
            self.close()
            raise ExtractorFailed(f"extractor process died: {exc}") from None
        self._sent_at = time.monotonic()

    def receive(self) -> str:
        """The text of the page sent last, waiting at most what is left of ``limit`` since it was sent."""
        if self._sent_at is None:
            raise RuntimeError("receive() without send()")
        proc, left = self._proc, self.limit - (time.monotonic() - self._sent_at)
        self._sent_at = None
        try:
            ready, _, _ = select.select([proc.stdout], [], [], max(left, 0.0))
            if not ready:
                self.close()
                raise TimedOut(f"no text after {self.limit:g} s")
            status = proc.stdout.read(1)
            (size,) = _HEADER.unpack(_read_exactly(proc.stdout, _HEADER.size))
            text = _read_exactly(proc.stdout, size).decode("utf-8", "surrogatepass")
        except (OSError, EOFError, struct.error) as exc:  # the child died (crash in C code, OOM kill)
            self.close()
            raise ExtractorFailed(f"extractor process died: {exc}") from None
        if status != b"\x00":
            raise ExtractorFailed(text)
        return text

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        proc = subprocess.Popen([sys.executable, "-m", "filters.extract_guard", json.dumps(self.settings)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        for pipe in (proc.stdin, proc.stdout):  # a page in one write, not 64 KB per wake-up of the child
            _widen(pipe)
        ready, _, _ = select.select([proc.stdout], [], [], _START_SECONDS)
        if not ready or proc.stdout.read(1) != b"\x01":
            proc.kill()
            proc.wait()
            raise RuntimeError("the extraction child process did not start")
        self._proc = proc
        return proc

    def close(self) -> None:
        proc, self._proc, self._sent_at = self._proc, None, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass

    def __del__(self):
        self.close()


def _widen(pipe) -> None:
    """Make ``pipe`` hold ``_PIPE_BYTES`` (Linux; elsewhere, or above the system's limit, left as it is)."""
    if fcntl is None:
        return
    try:
        fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
    except (OSError, ValueError):
        pass


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError(f"expected {size} bytes, got {len(data)}")
    return data


def _serve(settings: dict[str, Any]) -> None:
    from filters.html_text import extract_text

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(b"\x01")
    stdout.flush()
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:  # the parent closed the pipe (or died): done
            return
        html = _read_exactly(stdin, _HEADER.unpack(header)[0]).decode("utf-8", "surrogatepass")
        try:
            status, text = b"\x00", extract_text(html, **settings)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which counts it
            status, text = b"\x01", f"{type(exc).__name__}: {exc}"
        out = text.encode("utf-8", "surrogatepass")
        stdout.write(status + _HEADER.pack(len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
