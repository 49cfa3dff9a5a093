"""Plan, run and report a ``curation run`` (the CLI's entry point into ``pipelines.run.planner``)."""
from __future__ import annotations

import json
import time

from curation.io.completion import read_success
from curation.io.paths import exists, join, make_dirs, read_bytes, write_bytes
from curation.report.funnel import FunnelRow, format_funnel, ingest_row, load_counters, stage_rows
from pipelines.options import describe_local_mode, make_options, runner_name
from pipelines.run.config import RunConfig
from pipelines.run.planner import Planner, Stage, execute
from pipelines.run.provenance import provenance


def describe(stages: list[Stage], runner: str, output: str) -> str:
    lines = [f"plan: {len(stages)} stage(s), runner {runner}, output {output}"]
    for index, stage in enumerate(stages, 1):
        status = "up to date" if stage.is_current() else "to run"
        inputs = ", ".join(stage.inputs[:3]) + (f" (+{len(stage.inputs) - 3} more)" if len(stage.inputs) > 3 else "")
        lines.append(f"  {index:>2}. {stage.name:<22} {status:<11} {inputs} -> {stage.output}")
    return "\n".join(lines)


def build_funnel(stages: list[Stage]) -> list[FunnelRow]:
    rows: list[FunnelRow] = []
    for stage in stages:
        if stage.source is None:
            continue
        counters = load_counters(stage.output)
        if stage.kind == "extract":
            first = ingest_row(stage.source, counters)
            if first:
                rows.append(first)
            counters = {k: v for k, v in counters.items() if k == "extract"}
        rows += stage_rows(stage.source, stage.kind, counters)
    return rows


def run_job(config: RunConfig, output: str, beam_args: list[str], dry_run: bool = False,
            stop_after: str | None = None, echo: bool = True, command: list[str] | None = None) -> int:
    planner = Planner(config, output, beam_args, echo=echo)
    stages = planner.plan()
    runner = describe_local_mode(planner.beam_args) or runner_name(make_options(planner.beam_args))
    if stop_after and stop_after not in {s.name for s in stages}:
        raise ValueError(f"--stop-after {stop_after!r} is not a stage; stages: {[s.name for s in stages]}")
    if echo or dry_run:
        print(describe(stages, runner, output), flush=True)
    if dry_run:
        return 0
    planner.worker_files.upload(echo=echo)
    started = time.perf_counter()
    summary = execute(stages, stop_after=stop_after, echo=echo)
    funnel = build_funnel(stages)
    table = format_funnel(funnel)
    make_dirs(output)
    write_bytes(join(output, "funnel.txt"), (table + "\n").encode())
    validation = _validation(output)
    run_info = {"runner": runner, "seconds": round(time.perf_counter() - started, 3), "stages": summary,
                "stage_fingerprints": stage_fingerprints(stages, summary),
                "funnel": [r.__dict__ | {"balanced": r.balanced} for r in funnel], "validation": validation,
                **provenance(config.model_dump(mode="json", by_alias=True), runner, planner.beam_args, command)}
    write_bytes(join(output, "run.json"), json.dumps(run_info, indent=2, sort_keys=True).encode())
    from curation.report.run_report import write_run_report

    write_run_report(join(output, "report.html"), output, funnel, summary,
                     [s.name for s in config.sources])
    if echo:
        print("\nfunnel (documents after every stage and rule)\n" + table)
        print(f"\nreport: {join(output, 'report.html')}")
    failed = validation.get("failed", [])
    if failed and config.validate_.fail_on_error and len(summary) == len(stages):
        print(f"validation failed for {len(failed)} shard(s): {failed}")
        return 1
    return 0


def stage_fingerprints(stages: list[Stage], summary: list[dict]) -> dict[str, dict]:
    """Per stage: its fingerprint and seconds (of this run, or of the run that made a skipped stage)."""
    seconds = {s["stage"]: s.get("seconds") for s in summary}
    out = {}
    for stage in stages:
        marker = read_success(stage.output) if seconds.get(stage.name) is None else None
        if marker is not None:
            seconds[stage.name] = marker.get("seconds")
        out[stage.name] = {"fingerprint": stage.digest, "seconds": seconds.get(stage.name),
                           "status": next((s["status"] for s in summary if s["stage"] == stage.name), "not run")}
    return out


def _validation(output: str) -> dict:
    path = join(output, "validation", "validation.json")
    if not exists(path):
        return {}
    result = json.loads(read_bytes(path))
    shards = result.get("shards", [])
    return {"shards": len(shards), "failed": [s.get("file") for s in shards if s.get("verdict") == "fail"]}
