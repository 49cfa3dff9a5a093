"""Bounds on what a Beam SDK worker keeps per stage, for the local runner's workers.

A worker of Beam 2.77 keeps two things per stage for the life of its process, and
``curation dedup`` runs ~150 stages (unrolled connected-component rounds), where they came to
~45 MB of its RSS whatever the input size:
- the monitoring-info short-id cache keeps one protobuf copy (~8 KB: an arena each) per metric
  of every transform, ~3,700 for dedup; here each is kept serialized (~150 bytes) and parsed
  when asked for (which the local runner never does: it reads the infos in each response);
- the bundle processor of every finished stage stays cached for 60 s; here only those of the
  ``KEEP_PROCESSORS`` most recently used stages stay (a stage runs its bundles one after
  another, so it still reuses its own processor).

:func:`bound_worker_caches` installs both in the current process: the local runner calls it
(its in-process worker) and so does ``pipelines.beam_worker`` (its worker processes).
"""
from __future__ import annotations

from apache_beam.metrics import monitoring_infos
from apache_beam.portability.api import metrics_pb2
from apache_beam.runners.worker import sdk_worker

KEEP_PROCESSORS = 4

class _SerializedShortIds(sdk_worker.ShortIdCache):
    """Beam's short-id cache with each monitoring info kept as bytes."""

    def get_short_id(self, monitoring_info):
        key = monitoring_infos.to_key(monitoring_info)
        with self._lock:
            short_id = self._info_key_to_short_id.get(key)
            if short_id is None:
                self._last_short_id += 1
                short_id = hex(self._last_short_id)[2:]
                cleared = metrics_pb2.MonitoringInfo()
                cleared.CopyFrom(monitoring_info)
                cleared.ClearField("payload")
                self._info_key_to_short_id[key] = short_id
                self._short_id_to_info[short_id] = cleared.SerializeToString()
            return short_id

    def get_infos(self, short_ids):
        with self._lock:
            return {short_id: metrics_pb2.MonitoringInfo.FromString(self._short_id_to_info[short_id])
                    for short_id in short_ids}


def _release_keeping_recent(self, instruction_id):
    _beams_release(self, instruction_id)
    with self._lock:
        cached = [d for d, processors in self.cached_bundle_processors.items() if processors]
        cached.sort(key=lambda d: self.last_access_times[d])
        stale = [self.cached_bundle_processors.pop(d) for d in cached[:-KEEP_PROCESSORS]]
    for processors in stale:  # outside the lock, as Beam's own periodic shutdown
        sdk_worker.BundleProcessorCache._shutdown_cached_bundle_processors(processors)


_beams_release = sdk_worker.BundleProcessorCache.release


def bound_worker_caches() -> None:
    """Bound what a worker in this process keeps per stage (module doc); idempotent."""
    if not isinstance(sdk_worker.SHORT_ID_CACHE, _SerializedShortIds):
        sdk_worker.SHORT_ID_CACHE = _SerializedShortIds()
    sdk_worker.BundleProcessorCache.release = _release_keeping_recent
