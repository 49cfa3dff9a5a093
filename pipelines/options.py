"""Pipeline options: the local runner by default, anything else by Beam's own flags.

Beam's default "DirectRunner" first tries the Prism runner, which downloads a
binary at run time; offline that fails (quietly) before Beam falls back. We name
the in-process ``FnApiRunner`` explicitly instead, so nothing is ever downloaded.
Its mode is chosen from the job's input bytes: one process (``in_memory``) below
``MULTI_PROCESS_MIN_BYTES``, multi-processing over all cores from there on (worker
start-up costs more than it saves on small inputs; bench/runner_mode.py measures
the crossover, README "Local runner mode"). ``CURATION_BEAM_MODE`` or an explicit
``--direct_running_mode`` wins. Any flag the user passes after ``--``
(``--runner=DataflowRunner --project=... --temp_location=gs://...``) goes to
Beam unchanged and wins over these defaults.
"""
from __future__ import annotations

import os

from apache_beam.options.pipeline_options import PipelineOptions

from curation.io.paths import set_filesystem_options
from pipelines.beam_memo import MemoizedOptions

LOCAL_RUNNER = "FnApiRunner"  # shown as this; run as pipelines.local_runner.LocalRunner (quiet workers)
LOCAL_RUNNER_CLASS = "pipelines.local_runner.LocalRunner"
# Runners Beam ships but does not know by short name.
# DaskRunner: Beam's, with the gaps pipelines/dask_runner.py describes filled in.
RUNNER_ALIASES = {"DaskRunner": "pipelines.dask_runner.DaskRunner"}


def _has_flag(args: list[str], name: str) -> bool:
    return any(a == f"--{name}" or a.startswith(f"--{name}=") for a in args)


# Below this many input bytes (local files) one process beats multi-processing; measured with
# bench/runner_mode.py (README, "Local runner mode"). Inputs of unknown size count as large.
MULTI_PROCESS_MIN_BYTES = 16 * 10**6


def local_mode(input_bytes: int | None) -> str:
    """The local runner mode: ``CURATION_BEAM_MODE`` if set, else chosen from the input bytes."""
    chosen = os.environ.get("CURATION_BEAM_MODE")
    if chosen:
        return chosen
    small = input_bytes is not None and input_bytes < MULTI_PROCESS_MIN_BYTES
    return "in_memory" if small else "multi_processing"


def input_bytes(paths: list[str]) -> int | None:
    """Total size of ``paths``; None when one is not a local file (size unknown without a round trip)."""
    total = 0
    for path in paths:
        if "://" in path or not os.path.isfile(path):
            return None
        total += os.path.getsize(path)
    return total


def local_defaults(args: list[str], input_size: int | None = None) -> list[str]:
    """The default flags added for the local runner when the user did not choose."""
    if _has_flag(args, "runner"):
        return []
    mode = local_mode(input_size)
    defaults = [f"--runner={LOCAL_RUNNER_CLASS}"]
    if not _has_flag(args, "direct_running_mode"):
        defaults.append(f"--direct_running_mode={mode}")
    if not _has_flag(args, "direct_num_workers"):
        # 0 = one worker per core; in_memory mode is single-threaded anyway.
        defaults.append("--direct_num_workers=0" if mode != "in_memory" else "--direct_num_workers=1")
    return defaults


def make_options(beam_args: list[str] | None = None, input_files: list[str] | None = None) -> PipelineOptions:
    """PipelineOptions from the user's Beam flags plus local-runner defaults.

    ``input_files``: the job's inputs, whose total size picks the local mode (see
    ``local_mode``); without them the mode is multi-processing.
    ``CURATION_BEAM_MODE=in_memory`` forces the single-process mode (tests use it).
    """
    args = [_alias(a) for a in beam_args or []]
    size = input_bytes(input_files) if input_files is not None else None
    options = MemoizedOptions(local_defaults(args, size) + args)  # one view per class: pipelines/beam_memo.py
    set_filesystem_options(options)  # the launcher reads and writes object stores with the same flags
    return options


def _alias(arg: str) -> str:
    if arg.startswith("--runner="):
        name = arg.split("=", 1)[1]
        return f"--runner={RUNNER_ALIASES.get(name, name)}"
    return arg


def describe_local_mode(beam_args: list[str]) -> str | None:
    """How a job of several stages picks its local mode, when each stage picks it from its input."""
    args = list(beam_args)
    if _has_flag(args, "runner") or _has_flag(args, "direct_running_mode") or os.environ.get("CURATION_BEAM_MODE"):
        return None
    return (f"{LOCAL_RUNNER} (per stage: in_memory below {MULTI_PROCESS_MIN_BYTES / 1e6:g} MB of input, "
            f"multi_processing over {os.cpu_count()} cores above)")


def runner_name(options: PipelineOptions) -> str:
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    runner = runner if isinstance(runner, str) else type(runner).__name__
    if runner in (LOCAL_RUNNER, LOCAL_RUNNER_CLASS):
        runner = LOCAL_RUNNER
        direct = options.view_as(DirectOptions)
        return f"{runner} ({direct.direct_running_mode}, workers={direct.direct_num_workers or os.cpu_count()})"
    return runner
