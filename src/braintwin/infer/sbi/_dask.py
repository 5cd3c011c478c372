"""Campaign chunks as :mod:`dask.distributed` tasks (imported only when Dask is asked for)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from ...errors import InputError

#: Retries of a task that raised; a task whose worker died is recomputed by the scheduler
#: (up to ``distributed.scheduler.allowed-failures`` times) independently of these.
RETRIES = 3


def _client(scheduler: str | None, n_workers: int | None):
    """(client, cluster or None): connect to ``scheduler`` or start a local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("Dask is not installed: pip install 'braintwin[dask]'", field="scheduler") from None
    if scheduler is not None:
        try:
            return Client(scheduler, timeout="30s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler ({exc})", source=str(scheduler), field="scheduler") from None
    if int(n_workers) < 1:
        raise InputError(f"n_workers must be >= 1, got {n_workers}", field="n_workers")
    cluster = LocalCluster(n_workers=int(n_workers), threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_on_dask(run_chunk, simulator, tasks, keep_timeseries: bool, *, scheduler=None, n_workers=None) -> Iterator[dict]:
    """Submit every chunk as a task (``run_chunk(simulator, params, seeds, rows, keep_timeseries)``,
    given by the campaign, which this module does not import); yield each chunk's result once, as it completes.

    Each future resolves exactly once, so a chunk recomputed after a worker loss is
    still yielded once; the caller (the only writer of the file) commits it.
    """
    from distributed import as_completed

    client, cluster = _client(scheduler, n_workers)
    run_id = uuid.uuid4().hex[:12]  # task keys unique on a scheduler shared by several campaigns
    try:
        threads = max(client.nthreads().values(), default=1)
        sim = simulator.with_threads(threads) if hasattr(simulator, "with_threads") else simulator
        futures = [
            client.submit(run_chunk, sim, params, seeds, rows, keep_timeseries, retries=RETRIES, pure=False,
                          key=f"braintwin-chunk-{run_id}-{int(rows[0])}-{int(rows[-1])}")
            for params, seeds, rows in tasks
        ]
        for fut in as_completed(futures):
            res = fut.result()
            fut.release()
            yield res
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
