# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The I/O engine: a pool of threads over chunks of files, not over whole files.

C ASMT gives each file to one thread, so a namespace with one large stage uses one core.
Here every transfer is split into chunks; workers take chunks in order, and a job's
finish() (CRC combination, ownership, fsync) runs once all its chunks are done. os.pwrite,
os.preadv, zlib and isal release the GIL, so the threads really run in parallel.
"""

from __future__ import absolute_import, division, print_function

import os
import threading
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
)

__metaclass__ = type

# Large enough to amortise per-chunk work, small enough to spread one stage over all cores.
COPY_CHUNK = 64 << 20
COMPRESS_CHUNK = 32 << 20
# Slices of a chunk are hashed and copied while they are still in the CPU cache.
COPY_SLICE = 1 << 20


def default_threads():
    """One worker per CPU this process may run on, and never fewer than one (docs/asmt-format.md §7, difference 12)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return max(1, count)


class Cancelled(Exception):
    """Raised inside a task when another task has failed; not an error of its own."""


def chunk_ranges(size, chunk):
    """[(start, length), ...] covering size bytes in chunks."""
    return [(start, min(chunk, size - start)) for start in range(0, size, chunk)]


class Job:
    """A transfer split into tasks. Subclasses set tasks and may override finish()."""

    def __init__(self, label, nbytes):
        self.label = label
        self.nbytes = nbytes
        self.tasks = []
        self.done = False

    def finish(self):
        """Called once, by the worker that completes the last task, if every task succeeded."""
        self.done = True


class Engine:
    """Runs jobs' tasks on a pool of threads; the first failure stops the rest."""

    def __init__(self, threads=None, progress=None):
        self.threads = max(1, int(threads or default_threads()))
        self.progress = progress
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done_bytes = 0
        self._total_bytes = 0
        self._error = None
        self.seconds = 0.0

    def advance(self, nbytes):
        """Tasks report progress here; it also tells a long task to give up after a failure."""
        if self._stop.is_set():
            raise Cancelled()
        if nbytes and self.progress is not None:
            # Reported under the lock so that a callback sees done grow monotonically.
            with self._lock:
                self._done_bytes += nbytes
                self.progress(self._done_bytes, self._total_bytes)

    def _start_and_join(self, workers):
        """Run the workers to their end; on an interrupt, stop them and wait for every started one."""
        try:
            # Started inside the try: an interrupt between two starts must still join the first,
            # which may be copying from a segment that the caller detaches as soon as we return.
            for thread in workers:
                thread.daemon = True
                thread.start()
            for thread in workers:
                # Joining in short steps keeps the main thread responsive to signals.
                while thread.is_alive():
                    thread.join(0.2)
        except BaseException:
            self._stop.set()
            for thread in workers:
                if thread.ident is not None:  # started
                    thread.join()
            raise

    def run(self, jobs):
        """Run every task of every job; raise the first error once all workers have stopped."""
        # An engine runs one namespace after another: a failure of the last run must not stop this one.
        self._stop.clear()
        self._error = None
        queue = [(job, task) for job in jobs for task in job.tasks]
        remaining = dict((id(job), len(job.tasks)) for job in jobs)
        # done accumulates over runs, so the total must too (restore runs twice per namespace).
        self._total_bytes += sum(job.nbytes for job in jobs)
        position = [0]
        started = time.monotonic()

        def worker():
            while not self._stop.is_set():
                with self._lock:
                    if position[0] >= len(queue):
                        return
                    job, task = queue[position[0]]
                    position[0] += 1
                try:
                    task(self)
                    with self._lock:
                        remaining[id(job)] -= 1
                        last = remaining[id(job)] == 0
                    if last:
                        job.finish()
                except Cancelled:
                    return
                except BaseException as exc:  # pylint: disable=broad-except
                    with self._lock:
                        if self._error is None:
                            self._error = exc
                    self._stop.set()
                    return

        for job in jobs:
            if not job.tasks:
                job.finish()
        workers = [threading.Thread(target=worker, name='shm-io-%d' % i) for i in range(min(self.threads, len(queue)))]
        try:
            self._start_and_join(workers)
        finally:
            self.seconds = time.monotonic() - started
        if self._error is not None:
            raise self._error
        unfinished = [job.label for job in jobs if not job.done]
        if unfinished:
            raise ExecutionError('I/O did not complete for %s' % ', '.join(unfinished), files=unfinished)
        return self.seconds
