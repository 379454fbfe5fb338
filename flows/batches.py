"""Documents in batches, one Prefect task per batch: the local pool (flows/ingest.py) and a Dask
cluster (flows/cluster.py) cut a run's documents the same way.

Why batches: Prefect keeps ~35–40 KiB per task run in the flow process for the rest of the flow
run (benchmarks/prefect_task_memory.py), so one task per document made the ingest process grow
with the number of documents of a run; on Dask a task also costs ~0.2 s of a worker's time. A
batch is a contiguous slice of the run's documents (in input order), so the writer, which loads
in input order, can take each batch as soon as the batches before it are done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from fiscaldocs.sources import Input

# Documents per task on a Dask cluster (--batch-size): small, as a Dask worker runs one batch per
# thread and a lost worker's batch is done again.
DEFAULT_BATCH_SIZE = 8
# Documents per task locally: a 10,000-document run is ~300 task runs (~12 MiB of Prefect's
# bookkeeping) instead of 10,000 (~0.4 GiB); the writer loads in batches of 32 too.
LOCAL_BATCH_SIZE = 32


def batches(todo: list[Input], size: int) -> list[list[Input]]:
    return [todo[i:i + size] for i in range(0, len(todo), size)]


def effective_batch_size(n_docs: int, batch_size: int, threads: int) -> int:
    """At most `batch_size`, and small enough that every worker thread gets about two batches
    (a short run is not one batch on one worker)."""
    return max(1, min(batch_size, math.ceil(n_docs / max(1, 2 * threads))))


def each_alone(run: Callable[..., dict], path: str, *args, delays: tuple[float, ...] = ()) -> dict:
    """`run(path, *args)`, a document's report; an exception it raises is tried again after each of
    `delays`, then is that document's error, so the rest of its batch goes on."""
    for delay in delays:
        try:
            return run(path, *args)
        except Exception:
            time.sleep(delay)
    try:
        return run(path, *args)
    except Exception as exc:
        return {"error": f"{Path(path).name}: {type(exc).__name__}: {exc}"}
