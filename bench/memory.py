"""Peak memory per input size, an older version of the code against this one, side by side.

Used by ``bench/ingest.py --memory`` and ``bench/dedup.py --memory``. For each size a WARC of
real pages is built (``bench/bench_warc.py``); each command runs in one process
(``CURATION_BEAM_MODE=in_memory``) under ``bench/harness.py`` (interleaved rounds, medians of
wall and CPU seconds, peak RSS). The "before" side is the tree of a git ref (``--before``,
extracted with ``git archive``); it is skipped above ``--before-max-mb``, because the old code
needs tens of GB there: its figure is extrapolated from the smaller sizes instead.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench import harness
from bench.bench_warc import build_warcs

REPO = Path(__file__).resolve().parent.parent


def checkout(ref: str, into: Path) -> Path:
    """The files of ``ref`` under ``into`` (read-only use)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def cli_argv(tree: Path | None, *args: str) -> list[str]:
    """``curation ARGS`` importing from ``tree`` (this checkout when None)."""
    if tree is None:
        return [sys.executable, "-m", "curation", *args]
    boot = f"import sys; sys.path.insert(0, {str(tree)!r}); from pipelines.cli import main; sys.exit(main())"
    return [sys.executable, "-c", boot, *args]


def add_memory_flags(parser, what: str) -> None:
    """``--memory``, ``--with-1gb`` and ``--before``: the flags of a bench's memory-by-size table."""
    parser.add_argument("--memory", action="store_true", help=f"peak RSS of {what} at 4, 16, 64 MB of WARC")
    parser.add_argument("--sizes", type=float, nargs="+", default=[4, 16, 64], help="--memory: MB of WARC")
    parser.add_argument("--with-1gb", action="store_true", help="--memory: add the 1 GB size (now only)")
    parser.add_argument("--before", default="1594a37",
                        help="--memory: git ref of the 'before' side ('' for none)")


def memory_sizes(args) -> list[float]:
    """The sizes ``--sizes`` and ``--with-1gb`` ask for."""
    return list(args.sizes) + ([1000] if args.with_1gb else [])


def size_table(title: str, commands: dict[str, list[str]], sizes_mb: list[float], before: str,
               before_max_mb: float, rounds: int, prepare=None) -> None:
    """For each size: build the WARC, optionally ``prepare(warc, workdir) -> input``, run every
    command before/now; ``commands`` maps a label to ``curation`` arguments where ``{input}``
    is the input path, ``{out}`` a fresh output directory and ``{repo}`` the root of the side's
    own tree (so each side reads its own version of a shipped config)."""
    env = {"CURATION_BEAM_MODE": "in_memory"}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        old = checkout(before, Path(tmp) / "before") if before else None
        rows = []
        for mb in sizes_mb:
            warc = build_warcs(Path(tmp) / f"w{mb:g}" / "input.warc.gz", int(mb * 1e6))[0]
            source = prepare(warc, Path(tmp) / f"p{mb:g}") if prepare else warc
            sides = []
            for label, args in commands.items():
                argv = [a.replace("{input}", str(source)) for a in args]
                if old is not None and mb <= before_max_mb:
                    old_argv = [a.replace("{repo}", str(old)) for a in argv]
                    sides.append(harness.Side(f"{label} @ {before}", cli_argv(old, *old_argv), env=env))
                now_argv = [a.replace("{repo}", str(REPO)) for a in argv]
                sides.append(harness.Side(f"{label} @ now", cli_argv(None, *now_argv), env=env))
            results = harness.compare(sides, rounds=rounds, verbose=False)
            for result in results:
                rows.append((mb, result.side.name, result.median("wall_s"), result.median("cpu_s"),
                             result.median("max_rss_proc_mb")))
    print(f"\n{title} (one process, in_memory; medians of {rounds} interleaved round(s))")
    print(f"{'WARC MB':>8}  {'side':<40}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}")
    for mb, name, wall, cpu, rss in rows:
        print(f"{mb:>8g}  {name:<40}{wall:>9.1f}{cpu:>9.1f}{rss:>13.0f}")
