"""The default runner: Beam's ``FnApiRunner`` with its worker processes started quietly.

In multi-processing mode Beam starts each worker with ``python -m
apache_beam.runners.worker.sdk_worker_main``; here that command runs
``pipelines.beam_worker`` instead, which sets up logging (see ``pipelines.logs``) and then
calls Beam's ``sdk_worker_main.main`` unchanged. Verbose runs keep Beam's command.

Each stage's bundle descriptor lists only the PCollections its transforms read or write.
Beam 2.77 copies every PCollection of the pipeline into every stage's descriptor, which the
worker keeps: memory grows with stages x PCollections, and ``curation dedup`` unrolls ~20
rounds of groupings (its peak RSS at 64 MB of WARC: 385 -> 347 MB).

What a worker keeps per stage is bounded too (:mod:`pipelines.worker_caches`).
"""
from __future__ import annotations

from apache_beam.portability import python_urns
from apache_beam.runners.portability.fn_api_runner import FnApiRunner, execution

from pipelines.logs import verbose_from_env
from pipelines.worker_caches import bound_worker_caches

BEAM_WORKER = "apache_beam.runners.worker.sdk_worker_main"
QUIET_WORKER = "pipelines.beam_worker"


def quiet_workers(pipeline_proto) -> None:
    """Point every subprocess environment of ``pipeline_proto`` at the quiet worker module."""
    for environment in pipeline_proto.components.environments.values():
        if environment.urn == python_urns.SUBPROCESS_SDK:  # payload: the command line, UTF-8
            command = environment.payload.decode("utf-8")
            environment.payload = command.replace(f"-m {BEAM_WORKER}", f"-m {QUIET_WORKER}").encode("utf-8")


def _descriptor_with_own_pcollections(self):
    descriptor = _beams_descriptor(self)
    used = {pcoll for transform in descriptor.transforms.values()
            for pcoll in (*transform.inputs.values(), *transform.outputs.values())}
    for pcoll in [p for p in descriptor.pcollections if p not in used]:
        del descriptor.pcollections[pcoll]
    return descriptor


_beams_descriptor = execution.BundleContextManager._build_process_bundle_descriptor


class LocalRunner(FnApiRunner):
    def run_via_runner_api(self, pipeline_proto, options):
        if not verbose_from_env():
            quiet_workers(pipeline_proto)
        execution.BundleContextManager._build_process_bundle_descriptor = _descriptor_with_own_pcollections
        bound_worker_caches()
        return super().run_via_runner_api(pipeline_proto, options)
