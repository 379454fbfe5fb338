"""A pool of extraction worker processes that one document cannot take down.

`concurrent.futures.ProcessPoolExecutor` breaks for good when one worker dies (every pending
document fails with BrokenProcessPool) and cannot stop one task that runs too long. Here each
worker runs one call at a time over its own pipe, so the parent always knows which document a
worker held: a worker that dies (the kernel's OOM killer, a crash in a C library) or overruns its
hard deadline is killed and replaced, that one call raises `WorkerDied` / `WorkerTimedOut`, and
every other document goes on in the other workers.

In each worker: the address space is capped (RLIMIT_AS, so a runaway allocation is a
MemoryError in that worker, not the machine's memory) and each call runs under an alarm that
raises `LimitExceeded` (the soft time limit; the parent's deadline, a little later, is the hard
one, for code that never returns to Python).

The cap is per document, so what one document leaves behind must not eat the next one's share: a
worker whose address space ends a call above `RETIRE_FRACTION` of its cap (OCR models loaded, a
heap grown by a large file, an allocation refused half-way) retires after replying, and the next
call gets a fresh worker. Every document starts with at least half its cap free, whichever
documents its worker read before; allocators that reserve address space ahead of use are kept
lean for the same reason (`_lean_allocators`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import queue
import resource
import signal
import threading
from collections.abc import Callable
from typing import Any

from fiscaldocs.extractors.limits import ENV, MB, LimitExceeded, limits

# Past the soft time limit, how long the parent waits before killing the worker.
HARD_DEADLINE_GRACE = 10.0
# A worker ending a call with more than this share of its address-space cap in use retires, so
# every document starts with at least half its cap free. The PDF stack with camelot loaded maps
# ~0.7 GB, with OCR's models ~1.2 GB (the default cap: 2 GB): OCR's workers are not reused.
RETIRE_FRACTION = 0.5
# Arrow (pandas 3 keeps strings in it; camelot builds DataFrames) defaults to mimalloc, which
# reserves ~1 GiB of address space up front: half the cap, before a document needs any of it.
# The C heap reserves only what it uses. Set before anything in the worker imports pyarrow.
WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
# glibc opens a new heap arena when a thread finds the others locked, and every arena reserves
# 64 MiB of address space: with the threads of onnxruntime and OpenBLAS, OCR after camelot peaked
# at 1.73 GB, 1.41 GB with two arenas (and the count follows thread contention, not the document).
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


class WorkerDied(RuntimeError):
    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        if exitcode is not None and exitcode < 0:
            try:
                how = f"was killed by signal {signal.Signals(-exitcode).name}"
            except ValueError:
                how = f"was killed by signal {-exitcode}"
        else:
            how = f"exited with code {exitcode}"
        super().__init__(f"its extraction worker process {how}"
                         + (" (out of memory?)" if exitcode in (-signal.SIGKILL, -signal.SIGSEGV,
                                                                -signal.SIGABRT) else ""))


class WorkerTimedOut(RuntimeError):
    pass


class RemoteError(RuntimeError):
    """An exception raised in the worker that could not be sent back as itself."""


def _set_memory_limit(memory_mb: float) -> None:
    if memory_mb == float("inf"):
        return
    cap = int(memory_mb * MB)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _alarm(signum, frame):
    raise LimitExceeded(f"processing took longer than the time limit of {limits().seconds:g} s "
                        "(raise it with FISCALDOCS_MAX_SECONDS)")


def address_space_mb() -> float:
    """This process's mapped address space (what RLIMIT_AS counts), in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") / MB


def _lean_allocators() -> None:
    for var, value in WORKER_ENV.items():
        os.environ.setdefault(var, value)
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):  # not glibc (musl, macOS): their allocators do not do this
        pass


def _worker_main(conn, memory_mb: float) -> None:
    _lean_allocators()
    _set_memory_limit(memory_mb)
    signal.signal(signal.SIGALRM, _alarm)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        fn, args, seconds, env = task
        for var, value in env.items():  # the caller's limits (a worker outlives changes to them)
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        try:
            if seconds != float("inf"):
                signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                reply = (True, fn(*args))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as exc:  # sent back to the caller, who decides; the worker lives on
            reply = (False, exc)
        retire = memory_mb != float("inf") and address_space_mb() > RETIRE_FRACTION * memory_mb
        try:
            conn.send((*reply, retire))
        except Exception as exc:  # an unpicklable result or exception
            conn.send((False, RemoteError(f"{type(reply[1]).__name__}: {reply[1]} (not picklable: {exc})"), retire))
        if retire:
            return


class _Worker:
    def __init__(self, ctx, memory_mb: float):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, memory_mb), daemon=True,
                                   name="fiscaldocs-worker")
        self.process.start()
        child.close()
        self.retiring = False  # set by its last reply: it exits rather than take another call

    def call(self, fn: Callable, args: tuple, seconds: float) -> Any:
        try:
            self.conn.send((fn, args, seconds, {var: os.environ.get(var) for var in ENV.values()}))
        except (BrokenPipeError, ConnectionResetError):  # died while idle, between two calls
            self.process.join(5)
            raise WorkerDied(self.process.exitcode) from None
        wait = None if seconds == float("inf") else seconds + HARD_DEADLINE_GRACE
        if not self.conn.poll(wait):
            raise WorkerTimedOut(f"still running after the time limit of {seconds:g} s; its worker was stopped "
                                 "(raise it with FISCALDOCS_MAX_SECONDS)")
        try:
            ok, value, self.retiring = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            raise WorkerDied(self.process.exitcode) from None
        if ok:
            return value
        raise value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """`run(fn, *args)` from any number of threads; at most `size` calls run at once, each in a
    worker process of its own (started on demand, replaced when it dies or overruns)."""

    def __init__(self, size: int, context: str = "forkserver"):
        self.size = size
        self._ctx = multiprocessing.get_context(context)
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.replaced = 0  # workers lost and replaced (for tests and logs)
        self.retired = 0  # workers that retired at their address-space mark (RETIRE_FRACTION)

    def run(self, fn: Callable, *args: Any) -> Any:
        lim = limits()
        with self._slots:
            worker = self._take(lim.memory_mb)
            try:
                result = worker.call(fn, args, lim.seconds)
            except (WorkerDied, WorkerTimedOut):
                self._discard(worker)
                raise
            finally:
                self._release(worker)
            return result

    def _release(self, worker: _Worker) -> None:
        """Back to the idle queue after a call (one that failed included: the worker is fine), unless
        it is retiring or was discarded."""
        with self._lock:
            if worker not in self._all:
                return
            if worker.retiring:
                self._all.discard(worker)
                self.retired += 1
        if worker.retiring:
            worker.stop()
        else:
            self._idle.put(worker)

    def _take(self, memory_mb: float) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker(self._ctx, memory_mb)
                with self._lock:
                    self._all.add(worker)
                return worker
            if worker.process.is_alive():
                return worker
            self._discard(worker)  # died while idle

    def _discard(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)
            self.replaced += 1

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid]

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for w in workers:
            w.stop()



def run_document(pool: WorkerPool, job: Callable, path: str, *args: Any) -> dict:
    """`job(path, *args)` for one document in `pool`: its result, or {"error", "given_up"} when the
    document killed its worker or overran its hard deadline (recorded so it is not retried)."""
    try:
        return pool.run(job, path, *args)
    except (WorkerDied, WorkerTimedOut) as exc:
        return {"error": f"{os.path.basename(path)}: {exc}", "given_up": True}
