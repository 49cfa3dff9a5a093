"""Pipeline options: the local runner by default, anything else by Beam's own flags.

Beam's default "DirectRunner" first tries the Prism runner, which downloads a
binary at run time; offline that fails (quietly) before Beam falls back. We name
the in-process ``FnApiRunner`` explicitly instead, in multi-processing mode over
all cores, so nothing is ever downloaded. Any flag the user passes after ``--``
(``--runner=DataflowRunner --project=... --temp_location=gs://...``) goes to
Beam unchanged and wins over these defaults.
"""
from __future__ import annotations

import os

from apache_beam.options.pipeline_options import PipelineOptions

from curation.io.paths import set_filesystem_options

LOCAL_RUNNER = "FnApiRunner"  # shown as this; run as pipelines.local_runner.LocalRunner (quiet workers)
LOCAL_RUNNER_CLASS = "pipelines.local_runner.LocalRunner"
# Runners Beam ships but does not know by short name.
# DaskRunner: Beam's, with the gaps pipelines/dask_runner.py describes filled in.
RUNNER_ALIASES = {"DaskRunner": "pipelines.dask_runner.DaskRunner"}


def _has_flag(args: list[str], name: str) -> bool:
    return any(a == f"--{name}" or a.startswith(f"--{name}=") for a in args)


def local_defaults(args: list[str]) -> list[str]:
    """The default flags added for the local runner when the user did not choose."""
    if _has_flag(args, "runner"):
        return []
    mode = os.environ.get("CURATION_BEAM_MODE", "multi_processing")
    defaults = [f"--runner={LOCAL_RUNNER_CLASS}"]
    if not _has_flag(args, "direct_running_mode"):
        defaults.append(f"--direct_running_mode={mode}")
    if not _has_flag(args, "direct_num_workers"):
        # 0 = one worker per core; in_memory mode is single-threaded anyway.
        defaults.append("--direct_num_workers=0" if mode != "in_memory" else "--direct_num_workers=1")
    return defaults


def make_options(beam_args: list[str] | None = None) -> PipelineOptions:
    """PipelineOptions from the user's Beam flags plus local-runner defaults.

    ``CURATION_BEAM_MODE=in_memory`` selects the single-process mode (tests use it:
    start-up dominates small jobs).
    """
    args = [_alias(a) for a in beam_args or []]
    options = PipelineOptions(local_defaults(args) + args)
    set_filesystem_options(options)  # the launcher reads and writes object stores with the same flags
    return options


def _alias(arg: str) -> str:
    if arg.startswith("--runner="):
        name = arg.split("=", 1)[1]
        return f"--runner={RUNNER_ALIASES.get(name, name)}"
    return arg


def runner_name(options: PipelineOptions) -> str:
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    runner = runner if isinstance(runner, str) else type(runner).__name__
    if runner in (LOCAL_RUNNER, LOCAL_RUNNER_CLASS):
        runner = LOCAL_RUNNER
        direct = options.view_as(DirectOptions)
        return f"{runner} ({direct.direct_running_mode}, workers={direct.direct_num_workers or os.cpu_count()})"
    return runner
