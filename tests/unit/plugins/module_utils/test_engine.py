# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The I/O engine: chunking, threads, failure handling and progress."""

from __future__ import absolute_import, division, print_function

import os
import threading
import time

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _engine
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import ExecutionError

__metaclass__ = type


class CopyJob(_engine.Job):
    """Copies a source into a target in chunks, and records who ran what."""

    def __init__(self, label, source, chunk, log, delay=0.0):
        super(CopyJob, self).__init__(label, len(source))
        self.source = source
        self.target = bytearray(len(source))
        self.log = log
        self.finished = 0
        self.tasks = [self._task(start, length, delay) for start, length in _engine.chunk_ranges(len(source), chunk)]

    def _task(self, start, length, delay):
        def run(engine):
            if delay:
                time.sleep(delay)
            self.target[start:start + length] = self.source[start:start + length]
            self.log.append((self.label, start, threading.current_thread().name))
            engine.advance(length)
        return run

    def finish(self):
        assert bytes(self.target) == self.source, 'finish ran before every chunk was done'
        self.finished += 1
        super(CopyJob, self).finish()


@pytest.mark.parametrize('size, chunk, ranges', [
    (0, 4, []),
    (1, 4, [(0, 1)]),
    (4, 4, [(0, 4)]),
    (10, 4, [(0, 4), (4, 4), (8, 2)]),
    (12, 4, [(0, 4), (4, 4), (8, 4)]),
    ((5 << 30) + 1, 2 << 30, [(0, 2 << 30), (2 << 30, 2 << 30), (4 << 30, (1 << 30) + 1)]),
])
def test_chunk_ranges(size, chunk, ranges):
    assert _engine.chunk_ranges(size, chunk) == ranges


def test_default_threads_follows_affinity_and_is_never_zero():
    assert _engine.default_threads() == max(1, len(os.sched_getaffinity(0)))
    assert _engine.default_threads() >= 1


@pytest.mark.parametrize('requested, expected', [
    (None, 'default'), (0, 'default'), (1, 1), (3, 3), (64, 64), (-2, 1), ('2', 2),
])
def test_thread_count_is_never_zero(requested, expected):
    # C ASMT starts zero threads when it cannot count CPUs, and reports success (docs/asmt-format.md §7, difference 12).
    engine = _engine.Engine(requested)
    assert engine.threads == (_engine.default_threads() if expected == 'default' else expected)
    assert engine.threads >= 1


def test_default_threads_without_affinity(monkeypatch):
    monkeypatch.delattr(os, 'sched_getaffinity')
    monkeypatch.setattr(os, 'cpu_count', lambda: None)
    assert _engine.default_threads() == 1


@pytest.mark.parametrize('threads', [1, 2, 4])
def test_every_chunk_is_copied_and_each_job_finishes_once(threads):
    log = []
    jobs = [CopyJob('a', os.urandom(100000), 7000, log), CopyJob('b', os.urandom(3), 7000, log),
            CopyJob('c', os.urandom(65536), 65536, log)]
    empty = CopyJob('empty', b'', 10, log)
    seconds = _engine.Engine(threads).run(jobs + [empty])
    assert seconds >= 0
    for job in jobs + [empty]:
        assert bytes(job.target) == job.source
        assert job.finished == 1 and job.done
    assert len(log) == 15 + 1 + 1
    assert len(set(name for dummy, dummy, name in log)) <= threads


def test_chunks_are_taken_in_order_by_one_thread():
    log = []
    job = CopyJob('a', bytes(50), 10, log)
    _engine.Engine(1).run([job])
    assert [start for dummy, start, dummy in log] == [0, 10, 20, 30, 40]


def test_threads_really_run_in_parallel():
    # Two tasks that each wait for the other can only finish if two workers run at once.
    barrier = threading.Barrier(2, timeout=10)

    class Meet(_engine.Job):
        def __init__(self):
            super(Meet, self).__init__('meet', 2)
            self.tasks = [lambda engine: barrier.wait(), lambda engine: barrier.wait()]

    job = Meet()
    _engine.Engine(2).run([job])
    assert job.done


def test_no_more_threads_than_tasks():
    log = []
    job = CopyJob('a', bytes(30), 10, log, delay=0.05)
    before = threading.active_count()
    seen = []

    def watch():
        while not job.done:
            seen.append(threading.active_count())
            time.sleep(0.01)
    watcher = threading.Thread(target=watch)
    watcher.start()
    _engine.Engine(64).run([job])
    watcher.join()
    assert max(seen) - before - 1 <= 3


def test_progress_is_cumulative_and_complete():
    calls = []
    lock = threading.Lock()

    def progress(done, total):
        with lock:
            calls.append((done, total))
    jobs = [CopyJob('a', os.urandom(50000), 4096, []), CopyJob('b', os.urandom(1000), 4096, [])]
    _engine.Engine(3, progress).run(jobs)
    assert all(total == 51000 for dummy, total in calls)
    assert sorted(done for done, dummy in calls) == sorted(set(done for done, dummy in calls))
    assert max(done for done, dummy in calls) == 51000
    assert len(calls) == 13 + 1


class Boom(Exception):
    pass


def test_first_error_propagates_and_stops_the_queue():
    log = []
    error = Boom('disk full')

    class Failing(_engine.Job):
        def __init__(self):
            super(Failing, self).__init__('bad', 1)
            self.tasks = [self.fail]
            self.finished = False

        def fail(self, engine):
            raise error

        def finish(self):
            self.finished = True

    bad = Failing()
    later = CopyJob('later', bytes(100), 10, log)
    with pytest.raises(Boom) as caught:
        _engine.Engine(1).run([bad, later])
    assert caught.value is error
    assert not bad.finished
    assert log == [] and not later.done


def test_a_long_task_is_cancelled_through_advance():
    stopped = []
    started = threading.Event()

    def long_task(engine):
        started.set()
        try:
            for dummy in range(500):
                time.sleep(0.01)
                engine.advance(0)
        except _engine.Cancelled:
            stopped.append(True)
            raise
        stopped.append(False)

    def failing_task(engine):
        started.wait(5)
        raise Boom('read error')

    class Two(_engine.Job):
        def __init__(self):
            super(Two, self).__init__('two', 2)
            self.tasks = [long_task, failing_task]

    begin = time.monotonic()
    with pytest.raises(Boom, match='read error'):
        _engine.Engine(2).run([Two()])
    assert stopped == [True]
    assert time.monotonic() - begin < 3


def test_advance_after_a_failure_raises_cancelled():
    engine = _engine.Engine(1)
    engine.advance(5)
    engine._stop.set()  # pylint: disable=protected-access
    with pytest.raises(_engine.Cancelled):
        engine.advance(0)


def test_error_in_finish_propagates():
    class BadFinish(CopyJob):
        def finish(self):
            raise OSError(28, 'No space left on device')

    with pytest.raises(OSError, match='No space left'):
        _engine.Engine(2).run([BadFinish('a', bytes(40), 10, [])])


def test_a_job_that_never_completes_is_reported():
    class Forgetful(_engine.Job):
        def __init__(self, label):
            super(Forgetful, self).__init__(label, 1)
            self.tasks = [lambda engine: None]

        def finish(self):
            pass  # never marks itself done

    with pytest.raises(ExecutionError, match='I/O did not complete for x.dat, y.dat') as caught:
        _engine.Engine(2).run([Forgetful('x.dat'), Forgetful('y.dat'), CopyJob('fine', bytes(4), 4, [])])
    assert caught.value.facts == {'files': ['x.dat', 'y.dat']}


def test_engine_can_run_again():
    engine = _engine.Engine(2)
    first, second = CopyJob('a', os.urandom(300), 100, []), CopyJob('b', os.urandom(300), 100, [])
    engine.run([first])
    engine.run([second])
    assert first.done and second.done


def test_progress_over_several_runs_never_exceeds_its_total():
    # Restore runs the stages, then the bases, on one engine; a namespace list runs one after another.
    calls = []
    engine = _engine.Engine(2, lambda done, total: calls.append((done, total)))
    engine.run([CopyJob('stages', bytes(3000), 1000, [])])
    engine.run([CopyJob('base', bytes(500), 1000, [])])
    assert calls
    assert all(done <= total for done, total in calls), calls
    assert calls[-1][0] == calls[-1][1]


def test_a_failed_run_does_not_stop_the_next():
    # One engine serves every namespace; the next namespace still runs after one fails.
    engine = _engine.Engine(2)

    class Failing(_engine.Job):
        def __init__(self):
            super(Failing, self).__init__('bad', 1)
            self.tasks = [self.fail]

        def fail(self, engine):
            raise Boom('first namespace')

    with pytest.raises(Boom):
        engine.run([Failing()])
    job = CopyJob('next', os.urandom(5000), 1000, [])
    engine.run([job])
    assert job.done and bytes(job.target) == job.source


def test_an_interrupt_while_starting_workers_still_joins_the_started_ones(monkeypatch):
    """SIGTERM becomes KeyboardInterrupt in the main thread wherever it is, also between two
    thread starts. run() must not return while a started worker may still read a segment that
    the caller detaches next: that crashed a backup under load."""
    log = []
    job = CopyJob('slow', os.urandom(4 * 16), 16, log, delay=0.2)
    original = threading.Thread.start
    starts = []

    def start_then_interrupt(thread):
        original(thread)
        starts.append(thread)
        if len(starts) == 1:
            raise KeyboardInterrupt()

    monkeypatch.setattr(threading.Thread, 'start', start_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _engine.Engine(threads=2).run([job])
    assert len(starts) == 1
    assert not starts[0].is_alive(), 'run() returned while a worker was still running'
    assert log, 'the started worker ran its task to its end'
