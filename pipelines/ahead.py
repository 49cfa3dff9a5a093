"""``Ahead``: calls run on background threads a few at a time, results handed back in submission order.

For a DoFn whose heavy calls release the GIL (``tokenizers``' batch encoding, Parquet encoding,
zstd and SHA-256): while those run, the DoFn's own thread goes on reading and preparing the
next input, so the cores are not left idle in between. Bounded: the caller takes results back
(``done(keep)``) whenever more than ``keep`` calls are in flight, so only a few inputs and
outputs are ever held at once.
"""
from __future__ import annotations

import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator


class Ahead:
    def __init__(self, workers: int = 1, name: str = "ahead"):
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self.in_flight: collections.deque = collections.deque()

    def submit(self, key: Any, fn: Callable, *args: Any) -> None:
        """Start ``fn(*args)``; ``key`` comes back with its result."""
        self.in_flight.append((key, self.pool.submit(fn, *args)))

    def done(self, keep: int = 0) -> Iterator[tuple[Any, Any]]:
        """``(key, result)`` of the oldest calls, waiting for each, until at most ``keep`` are in flight.

        A call that raised raises here, in the caller's thread.
        """
        while len(self.in_flight) > keep:
            key, future = self.in_flight.popleft()
            yield key, future.result()

    def reset(self) -> None:
        """Forget every call in flight (a failed bundle's): results not yet taken are dropped."""
        for _, future in self.in_flight:
            future.cancel()
        self.in_flight.clear()

    def close(self) -> None:
        self.reset()
        self.pool.shutdown(wait=True)
