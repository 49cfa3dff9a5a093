"""What a Beam worker keeps per stage is bounded (pipelines.worker_caches)."""
import apache_beam as beam
from apache_beam.metrics import monitoring_infos
from apache_beam.runners.worker import sdk_worker

from pipelines.worker_caches import KEEP_PROCESSORS, _SerializedShortIds, bound_worker_caches


def test_short_ids_are_stable_and_resolve_to_the_info_without_payload():
    cache = _SerializedShortIds()
    first = monitoring_infos.int64_user_counter("dedup", "in", 5, ptransform="Sign")
    again = monitoring_infos.int64_user_counter("dedup", "in", 7, ptransform="Sign")  # same metric, new value
    other = monitoring_infos.int64_user_counter("dedup", "out", 1, ptransform="Sign")
    ids = [cache.get_short_id(info) for info in (first, again, other)]
    assert ids[0] == ids[1] != ids[2]
    assert all(isinstance(kept, bytes) for kept in cache._short_id_to_info.values())
    resolved = cache.get_infos([ids[0]])[ids[0]]
    expected = type(first)()
    expected.CopyFrom(first)
    expected.ClearField("payload")
    assert resolved == expected


class _Processor:
    def __init__(self):
        self.shut = False

    def reset(self):
        pass

    def shutdown(self):
        self.shut = True


def test_only_the_most_recent_stages_keep_their_bundle_processors():
    bound_worker_caches()
    cache = sdk_worker.BundleProcessorCache(frozenset(), None, None, {})
    try:
        processors = {}
        for stage in range(10):
            descriptor = f"stage-{stage}"
            processors[descriptor] = _Processor()
            cache.active_bundle_processors[f"bundle-{stage}"] = (descriptor, processors[descriptor])
            cache.release(f"bundle-{stage}")
        kept = [d for d, cached in cache.cached_bundle_processors.items() if cached]
        assert kept == [f"stage-{s}" for s in range(10 - KEEP_PROCESSORS, 10)]
        assert [d for d, p in processors.items() if p.shut] == [f"stage-{s}" for s in range(10 - KEEP_PROCESSORS)]
    finally:
        cache.shutdown()


def test_a_job_on_the_local_runner_installs_the_bounds(tmp_path):
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.local_runner import LocalRunner

    with beam.Pipeline(runner=LocalRunner(), options=PipelineOptions(["--direct_running_mode=in_memory"])) as p:
        counted = p | beam.Create(range(10)) | beam.Map(lambda x: x + 1)
        for step in range(3):
            counted = counted | f"Group{step}" >> beam.GroupBy(lambda x: x % 2) | f"Flat{step}" >> beam.FlatMap(lambda kv: kv[1])
    assert isinstance(sdk_worker.SHORT_ID_CACHE, _SerializedShortIds)
    assert sdk_worker.SHORT_ID_CACHE._short_id_to_info  # this job's metrics went through it
