"""Shared test fixtures: the local Beam runner in one process, paths to the shipped sample."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Small jobs are dominated by worker start-up; one process keeps tests fast and deterministic.
os.environ.setdefault("CURATION_BEAM_MODE", "in_memory")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO / "sample"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="module")
def torch_one_thread():
    """Tiny models run faster on one thread than on two contended ones (shared CI cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dask_cluster():
    """A ``dask.distributed`` cluster of two worker processes (one thread each), closed after the module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    try:
        yield cluster
    finally:
        # Beam's Dask runner leaves its client open; close it before the cluster so it does
        # not spend 30 s trying to reconnect to a scheduler that is gone.
        from distributed.client import _get_global_client

        client = _get_global_client()
        if client is not None:
            client.close()
        cluster.close()
