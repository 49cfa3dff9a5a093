"""The default runner: Beam's ``FnApiRunner`` with its worker processes started quietly.

In multi-processing mode Beam starts each worker with ``python -m
apache_beam.runners.worker.sdk_worker_main``; here that command runs
``pipelines.beam_worker`` instead, which sets up logging (see ``pipelines.logs``) and then
calls Beam's ``sdk_worker_main.main`` unchanged. Verbose runs keep Beam's command.
"""
from __future__ import annotations

from apache_beam.portability import python_urns
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipelines.logs import verbose_from_env

BEAM_WORKER = "apache_beam.runners.worker.sdk_worker_main"
QUIET_WORKER = "pipelines.beam_worker"


def quiet_workers(pipeline_proto) -> None:
    """Point every subprocess environment of ``pipeline_proto`` at the quiet worker module."""
    for environment in pipeline_proto.components.environments.values():
        if environment.urn == python_urns.SUBPROCESS_SDK:  # payload: the command line, UTF-8
            command = environment.payload.decode("utf-8")
            environment.payload = command.replace(f"-m {BEAM_WORKER}", f"-m {QUIET_WORKER}").encode("utf-8")


class LocalRunner(FnApiRunner):
    def run_via_runner_api(self, pipeline_proto, options):
        if not verbose_from_env():
            quiet_workers(pipeline_proto)
        return super().run_via_runner_api(pipeline_proto, options)
