"""Running the per-frame evaluation work (PNG decoding and joint histograms) in several processes.

Two forms, both giving results in task order and the same results as one process:

* :func:`parallel_map` (and :func:`parallel_imap`, which yields each result as soon as it and those before
  it are done, for progress bars) for the offline tools, which know every task in advance;
* :class:`WorkerPool` for the metrics, which receive frames batch by batch during inference: the work
  is handed to forked workers and overlaps with the model, and the results are collected once, before
  they are gathered across ranks.

Workers are forked (spawned on Windows), as in panopticapi's and mmdet's multi-core PQ, and only run
NumPy code. The number of processes is capped by the CPU count divided by the number of ranks.
"""
import functools
import multiprocessing
import os
from collections import deque
from typing import Any, Callable, Deque, Iterator, List, Optional, Sequence, Tuple

from mmengine.dist import get_world_size


def _context():
    return multiprocessing.get_context('spawn' if os.name == 'nt' else 'fork')


def usable_processes(nproc: int, num_tasks: Optional[int] = None) -> int:
    """``nproc`` capped by this rank's share of the CPUs (and by ``num_tasks``), at least 1."""
    cpus = max(1, (os.cpu_count() or 1) // max(1, get_world_size()))
    limit = min(nproc, cpus) if num_tasks is None else min(nproc, cpus, num_tasks)
    return max(1, limit)


def _call(function: Callable, task: tuple) -> Any:
    return function(*task)


def parallel_imap(function: Callable, tasks: Sequence[tuple], nproc: int) -> Iterator:
    """``function(*task)`` for each task in up to ``nproc`` processes, yielded in task order."""
    nproc = usable_processes(nproc, len(tasks))
    if nproc == 1:
        for task in tasks:
            yield function(*task)
        return
    with _context().Pool(nproc) as pool:
        yield from pool.imap(functools.partial(_call, function), tasks, chunksize=max(1, len(tasks) // (4 * nproc)))


def parallel_map(function: Callable, tasks: Sequence[tuple], nproc: int) -> list:
    """``[function(*task) for task in tasks]`` in up to ``nproc`` processes, in order."""
    return list(parallel_imap(function, tasks, nproc))


class WorkerPool:
    """Runs ``function(*args)`` for submitted tasks in background processes and stores each result in
    the dict given with its task.

    :meth:`submit` starts a task; :meth:`collect` waits for all of them, writes every result to its
    ``target[key]`` (re-raising a worker's exception) and stops the workers. With one usable process a
    task runs at once in the calling process. At most ``2 * nproc`` tasks are in flight: submitting
    more waits for the oldest, which bounds the memory held by queued inputs and makes a worker's
    error surface within a few tasks. The pool is started by the first submission.

    Args:
        function (Callable): a module-level (picklable) function.
        nproc (int): number of worker processes wanted; see :func:`usable_processes`.
    """

    def __init__(self, function: Callable, nproc: int) -> None:
        self.function = function
        self.nproc = nproc
        self._pool = None
        self._pending: List[Tuple[dict, str, Any]] = []
        self._in_flight: Deque = deque()

    def submit(self, target: dict, key: str, *args) -> None:
        """Start ``function(*args)``; :meth:`collect` sets ``target[key]`` to its result."""
        nproc = usable_processes(self.nproc)
        if nproc == 1:
            target[key] = self.function(*args)
            return
        if self._pool is None:
            self._pool = _context().Pool(nproc)
        while len(self._in_flight) >= 2 * nproc:
            self._get(self._in_flight.popleft())
        handle = self._pool.apply_async(self.function, args)
        self._in_flight.append(handle)
        self._pending.append((target, key, handle))

    def collect(self) -> None:
        """Store the results of all submitted tasks and stop the workers."""
        for target, key, handle in self._pending:
            target[key] = self._get(handle)
        self.close()

    def _get(self, handle) -> Any:
        try:
            return handle.get()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the workers and forget the tasks not collected."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self._pending.clear()
        self._in_flight.clear()
