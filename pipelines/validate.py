"""The validation stage (``curation validate`` and ``curation run``): shards -> report directory.

The checks are :func:`curation.validate.run.validate_shards` (proxy model, no Beam); this writes
the report and, last, ``_SUCCESS.json`` (:mod:`curation.io.completion`).
"""
from __future__ import annotations

from typing import Any

from curation.io.completion import replace_output, write_success
from curation.validate.config import ValidateConfig


def run_validate(config: ValidateConfig, inputs: str, output_dir: str, beam_args: list[str] | None = None,
                 *, echo: bool = False) -> dict[str, Any]:
    """Validate the shard directory ``inputs``; write ``validation.json`` and ``report.html`` into
    ``output_dir`` (any filesystem); returns the result. ``beam_args``: unused (no Beam)."""
    from curation.validate.report import write_report
    from curation.validate.run import validate_shards

    replace_output(output_dir, [inputs])
    result = validate_shards(inputs, config)
    write_report(result, output_dir)
    failed = [s["file"] for s in result.get("shards", []) if s.get("verdict") == "fail"]
    if echo:
        print(f"validation: {len(result.get('shards', []))} shard(s), {len(failed)} failed {failed or ''}", flush=True)
    write_success(output_dir, stage="validate", passed=result.get("passed"), failed=failed)
    return result
