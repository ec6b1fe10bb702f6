# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: backup and restore of simulated index segments against a raw copy.

Builds N GiB of segments with the asd simulator, then times, interleaved and repeated:
backup (plain, plain without CRC, compressed), restore (plain, compressed), and a raw
copy measured in the same run with the same threads and the same fsync policy. Prints a
table with GB/s, ratios and PASS/MISS per target of the issue; --json prints the figures
as one JSON document on stdout (the table then goes to stderr).

Run as root: it re-executes itself under `unshare --ipc`, so it never sees or touches
the machine's real segments.

    .venv/bin/python benchmarks/bench.py [--size GiB] [--repeat 3] [--dir /var/tmp] [--json]
"""

from __future__ import absolute_import, division, print_function

import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, 'sim', 'asd_sim.py')
sys.path.insert(0, os.path.join(ROOT, 'bin'))

import collection_path  # noqa: E402  pylint: disable=wrong-import-position
import private_ipc  # noqa: E402  pylint: disable=wrong-import-position

collection_path.register()

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _codec  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _engine  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _inflate  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _segment_file  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _transfer  # noqa: E402
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import decode  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
NAMESPACE = 'bench'
# The raw copy moves the same pieces the tool's engine does, so both spread over the threads.
RAW_PIECE = _engine.COPY_CHUNK
# Keys for the raw restore's segments: type byte 0x0B is no Aerospike type, so the tool ignores them.
SCRATCH_KEY = 0x0B000000

# Share of the machine's CPU time used by other processes above which the figures are suspect.
BUSY_SHARE = 0.10


class CpuUsage:
    """How much of the machine's CPU time other processes used since this was made."""

    def __init__(self):
        self.started = time.monotonic()
        self.busy = self._busy()
        self.own = self._own()

    @staticmethod
    def _busy():
        with open('/proc/stat') as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal: everything but idle and iowait.
        return (sum(fields[:8]) - fields[3] - fields[4]) / float(os.sysconf('SC_CLK_TCK'))

    @staticmethod
    def _own():
        import resource  # pylint: disable=import-outside-toplevel
        return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                     resource.getrusage(resource.RUSAGE_CHILDREN)))

    def others(self):
        wall = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        other = (self._busy() - self.busy) - (self._own() - self.own)
        return max(0.0, other / wall) if wall > 0 else 0.0


class LoadWatch:
    """The 1-minute load average, sampled every few seconds while the benchmark runs."""

    def __init__(self, interval=5.0):
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), name='load-watch', daemon=True)
        self._thread.start()

    def _run(self, interval):
        while not self._stop.wait(interval):
            self.samples.append(os.getloadavg()[0])

    def stop(self):
        self._stop.set()
        self._thread.join()
        return {'min': round(min(self.samples), 2), 'median': round(statistics.median(self.samples), 2),
                'max': round(max(self.samples), 2)}


def wait_for_quiet(args):
    """Wait up to --wait seconds for the 1-minute load average to drop below --quiet-load."""
    deadline = time.monotonic() + args.wait
    while os.getloadavg()[0] >= args.quiet_load and time.monotonic() < deadline:
        log(args, 'bench: load average %.2f, waiting for it to drop below %.2f ...'
            % (os.getloadavg()[0], args.quiet_load))
        time.sleep(15)


def gbps(nbytes, seconds):
    return nbytes / seconds / 1e9 if seconds > 0 else float('inf')


class Timings:
    """Seconds per repetition of one measurement; best and median."""

    def __init__(self, name, nbytes):
        self.name = name
        self.nbytes = nbytes
        self.seconds = []
        self.extra = {}

    def add(self, seconds):
        self.seconds.append(seconds)

    @property
    def best(self):
        return min(self.seconds)

    @property
    def median(self):
        return statistics.median(self.seconds)

    def to_dict(self):
        return {'name': self.name, 'bytes': self.nbytes, 'seconds': [round(s, 4) for s in self.seconds],
                'best_s': round(self.best, 4), 'median_s': round(self.median, 4),
                'best_gbps': round(gbps(self.nbytes, self.best), 3),
                'median_gbps': round(gbps(self.nbytes, self.median), 3), **self.extra}


# ---------------------------------------------------------------- segments

def build_segments(state_dir, size, stages, instance):
    """Create the namespace with the asd simulator; return its segments (ShmEntry list)."""
    if not os.path.exists(SIM):
        raise SystemExit('bench: %s is missing: the benchmark builds its segments with the asd simulator' % SIM)
    command = [sys.executable, SIM, 'create', '--instance', str(instance), '--namespace', NAMESPACE,
               '--size', str(size), '--stages', str(stages), '--state-dir', state_dir]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit('bench: the simulator failed (exit %d): %s\n%s'
                         % (done.returncode, ' '.join(command), done.stdout.strip()))
    return namespace_segments(instance)


def namespace_segments(instance):
    out = []
    for entry in _sysv.list_segments():
        key = decode(entry.key)
        if key is not None and key.instance == instance:
            out.append(entry)
    return sorted(out, key=lambda e: e.key)


def remove_segments(entries):
    for entry in entries:
        _sysv.remove_segment(entry.shmid)


def fingerprint(entries, codec, threads):
    """{key: CRC-32} of live segments, to prove every restore put back the same bytes."""
    attachments = [_sysv.Attachment(e.shmid, readonly=True) for e in entries]
    try:
        jobs = [CrcJob(e.key, a.view, codec) for e, a in zip(entries, attachments)]
        engine = _engine.Engine(threads)
        engine.run(jobs)
        return dict((job.key, job.crc) for job in jobs), engine.seconds
    finally:
        for attachment in attachments:
            attachment.detach()


class CrcJob(_engine.Job):
    """CRC-32 of one segment in chunks, as the tool hashes: the CPU cost of the CRC alone."""

    def __init__(self, key, view, codec):
        super(CrcJob, self).__init__('%08x' % key, len(view))
        self.key = key
        self.view = view
        self.codec = codec
        self.ranges = _engine.chunk_ranges(len(view), _engine.COPY_CHUNK)
        self.crcs = [0] * len(self.ranges)
        self.tasks = [self._task(i) for i in range(len(self.ranges))]
        self.crc = None

    def _task(self, index):
        start, length = self.ranges[index]

        def run(engine):
            crc = 0
            for offset in range(start, start + length, _engine.COPY_SLICE):
                crc = self.codec.crc32(self.view[offset:min(offset + _engine.COPY_SLICE, start + length)], crc)
            self.crcs[index] = crc
        return run

    def finish(self):
        crc = self.crcs[0]
        for (unused, length), part in zip(self.ranges[1:], self.crcs[1:]):
            crc = self.codec.crc32_combine(crc, part, length)
        self.crc = crc
        super(CrcJob, self).finish()


class DeflateJob(_engine.Job):
    """Deflate a segment's chunks as the tool does, output discarded: the CPU ceiling of -z."""

    def __init__(self, view, codec):
        super(DeflateJob, self).__init__('deflate', len(view))
        self.view = view
        self.codec = codec
        self.ranges = _engine.chunk_ranges(len(view), _engine.COMPRESS_CHUNK)
        self.out = [0] * len(self.ranges)
        self.tasks = [self._task(i) for i in range(len(self.ranges))]

    def _task(self, index):
        start, length = self.ranges[index]

        def run(engine):
            last = index == len(self.ranges) - 1
            self.out[index] = sum(map(len, _fileformat.deflate_pieces(self.codec, self.view[start:start + length], last)[0]))
        return run


class LevelCodec(_codec.Codec):
    """The tool's codec at another deflate level, for the level survey only."""

    def __init__(self, name, level):
        super(LevelCodec, self).__init__(name)
        self.level = level


# ---------------------------------------------------------------- raw copy baselines

def _pieces(size):
    return _engine.chunk_ranges(size, RAW_PIECE)


def raw_backup(entries, dest, threads):
    """memoryview of each segment to os.pwrite, pieces over the threads; fsync files and folder.

    The tool's policy: every file and the folder are fsynced before the backup counts as done.
    """
    started = time.monotonic()
    os.mkdir(dest, 0o700)
    _folder.fsync_dir(os.path.dirname(dest))
    attachments = [_sysv.Attachment(e.shmid, readonly=True) for e in entries]
    fds = []
    try:
        for entry in entries:
            fds.append(os.open(os.path.join(dest, '%08x.dat' % entry.key),
                               os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
        work = [(fd, a.view, start, length) for fd, a in zip(fds, attachments) for start, length in _pieces(a.size)]

        def write(piece):
            fd, view, start, length = piece
            view = view[start:start + length]
            while len(view):
                written = os.pwrite(fd, view, start)
                view = view[written:]
                start += written

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(write, work))
            list(pool.map(os.fsync, fds))
        _folder.fsync_dir(dest)
    finally:
        for fd in fds:
            os.close(fd)
        for attachment in attachments:
            attachment.detach()
    return time.monotonic() - started


def raw_restore(source, threads):
    """Each file read with readinto (os.preadv) straight into a new segment, pieces over the threads."""
    started = time.monotonic()
    names = sorted(os.listdir(source))
    shmids = []
    attachments = []
    fds = []
    try:
        for index, name in enumerate(names):
            fd = os.open(os.path.join(source, name), os.O_RDONLY | os.O_CLOEXEC)
            fds.append(fd)
            shmids.append(_sysv.create_segment(SCRATCH_KEY + index, os.fstat(fd).st_size))
            attachments.append(_sysv.Attachment(shmids[-1], readonly=False))
        work = [(fd, a.view, start, length) for fd, a in zip(fds, attachments) for start, length in _pieces(a.size)]

        def read(piece):
            fd, view, start, length = piece
            view = view[start:start + length]
            while len(view):
                got = os.preadv(fd, [view], start)
                if got == 0:
                    raise IOError('%d: file ends early' % fd)
                view = view[got:]
                start += got

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(read, work))
        # Detaching a large mapping takes time too, and the tool's restore includes it.
        for fd in fds:
            os.close(fd)
        fds = []
        for attachment in attachments:
            attachment.detach()
        seconds = time.monotonic() - started
    finally:
        for fd in fds:
            os.close(fd)
        for attachment in attachments:
            attachment.detach()
        for shmid in shmids:
            _sysv.remove_segment(shmid)
    return seconds


# ---------------------------------------------------------------- the tool and C ASMT

def tool_backup(dest, instance, threads, compress, crc=True):
    started = time.monotonic()
    plan = _backup.plan_backup(dest, [NAMESPACE], instance=instance, compress=compress, threads=threads)
    plan.raise_if_refused()
    result = _backup.execute_backup(plan, crc=crc)
    seconds = time.monotonic() - started
    return seconds, result


def tool_restore(source, instance, threads, codec=None):
    """Plan and restore; codec (a Codec) overrides the plan's, for the zlib fallback rows."""
    started = time.monotonic()
    plan = _restore.plan_restore(source, [NAMESPACE], instance=instance, threads=threads)
    plan.raise_if_refused()
    if codec is not None:
        plan.codec = codec
    _restore.execute_restore(plan)
    return time.monotonic() - started


def new_segments(source, instance, threads, fill):
    """Seconds to create segments of the backup's sizes and fill(attachment, start, length) them
    in pieces over the threads, detached at the end as a restore does; nothing is read."""
    plan = _restore.plan_restore(source, [NAMESPACE], instance=instance, threads=threads)
    sizes = [item.size for ns in plan.namespaces for item in ns.items]
    started = time.monotonic()
    shmids, attachments = [], []
    try:
        for index, size in enumerate(sizes):
            shmids.append(_sysv.create_segment(SCRATCH_KEY + index, size))
            attachments.append(_sysv.Attachment(shmids[-1], readonly=False))
        work = [(a, start, length) for a in attachments for start, length in _pieces(a.size)]
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda piece: fill(*piece), work))
        for attachment in attachments:
            attachment.detach()
        attachments = []
        return time.monotonic() - started
    finally:
        for attachment in attachments:
            attachment.detach()
        for shmid in shmids:
            _sysv.remove_segment(shmid)


def populate_piece(attachment, start, length):
    """The kernel gives the piece its pages (zeroed), as a first touch through the mapping does: C's way."""
    _sysv.populate(attachment.address + start, length, write=True)


def pwrite_piece(attachment, start, length):
    """The piece written from a small buffer through the segment's file, the tool's way (no zeroing)."""
    fd = _segment_file.open_for(attachment)
    if fd is None:
        return populate_piece(attachment, start, length)
    try:
        buffer = _inflate.thread_buffer('bench-fill', _transfer.BOUNCE_SLICE)
        for offset in range(start, start + length, len(buffer)):
            os.pwrite(fd, buffer[:min(len(buffer), start + length - offset)], offset)
    finally:
        os.close(fd)


def read_alone(source, threads):
    """Every file of the folder read into a small buffer per thread, in pieces over the threads: the
    least reading can take (from the page cache, or from the disk with its own read-ahead)."""
    started = time.monotonic()
    paths = [os.path.join(source, name) for name in sorted(os.listdir(source))]
    fds = [os.open(path, os.O_RDONLY | os.O_CLOEXEC) for path in paths]
    try:
        work = [(fd, start, length) for fd in fds for start, length in _pieces(os.fstat(fd).st_size)]

        def read(piece):
            fd, start, length = piece
            buffer = _inflate.thread_buffer('bench-read', 4 * MIB)
            for offset in range(start, start + length, len(buffer)):
                os.preadv(fd, [buffer[:min(len(buffer), start + length - offset)]], offset)

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(read, work))
        return time.monotonic() - started
    finally:
        for fd in fds:
            os.close(fd)


def read_and_inflate_alone(source, instance, threads):
    """The reading half of the tool's restore alone: every file of the folder read, inflated and
    hashed by the restore's own readers, all in one run over the threads, with no segment to fill."""
    plan = _restore.plan_restore(source, [NAMESPACE], instance=instance, threads=threads)
    items = [item for ns in plan.namespaces for item in ns.items]
    started = time.monotonic()
    fds = []
    try:
        for item in items:
            fds.append(plan.folder.open_regular(item.file)[0])
        jobs = [_transfer.reader(item, fd, plan.folder.join(item.file), plan.codec, item.file_size)
                for item, fd in zip(items, fds)]
        _engine.Engine(threads).run(jobs)
        return time.monotonic() - started
    finally:
        for fd in fds:
            os.close(fd)
        plan.folder.close()


def peer_path(given):
    """C ASMT's binary: --peer, else ../shared/peer/asmt beside the checkout; None when absent."""
    path = given or os.path.join(os.path.dirname(ROOT), 'shared', 'peer', 'asmt')
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def peer_run(peer, args, threads):
    """Run C ASMT (always inside this private IPC namespace) and time it; a failure stops the benchmark."""
    command = [peer] + args + ['-n', NAMESPACE, '-t', str(threads)]
    started = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=900, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit('bench: C ASMT failed (exit %d): %s\n%s'
                         % (done.returncode, ' '.join(command), done.stdout.strip()))
    return seconds


def peer_backup(peer, dest, threads, compress):
    os.mkdir(dest, 0o700)
    return peer_run(peer, ['-b', '-p', dest] + (['-z'] if compress else []), threads)


def peer_restore(peer, source, threads):
    return peer_run(peer, ['-r', '-p', source], threads)


def status_fields(pid, names=('RssAnon', 'RssFile', 'RssShmem')):
    """{field: bytes} from /proc/<pid>/status; {} once the process is gone."""
    fields = {}
    try:
        with open('/proc/%d/status' % pid) as handle:
            for line in handle:
                name, sep, value = line.partition(':')
                if sep and name in names:
                    fields[name] = int(value.split()[0]) * 1024
    except (OSError, ValueError):
        return {}
    return fields


def restore_child(args):
    """--restore-child: only restore args.restore_child (in the parent's private IPC namespace), then exit."""
    if args.child_codec == 'mapped':
        mapped_restore(args.restore_child, args.instance, args.threads)
    else:
        tool_restore(args.restore_child, args.instance, args.threads, CHILD_CODECS[args.child_codec]())
    # getrusage's peak would include the parent's size at fork (the kernel keeps it across exec): VmHWM does not.
    print(json.dumps(status_fields(os.getpid(), ('VmHWM',))))
    return 0


def child_rss(args, folder, codec='auto'):
    """Peak memory of a fresh process that only restores folder: {'maxrss', 'private', 'shmem'} in bytes.

    maxrss is the child's own peak (VmHWM of its process image, which counts the segments'
    pages it touched through its mapping); private and shmem are the peaks of RssAnon + RssFile and of
    RssShmem, sampled every 2 ms from /proc/<pid>/status. The restore's own overhead is
    max(private, maxrss - shmem): shared memory is the restore's output, and it is counted
    once touched.
    """
    command = [sys.executable, os.path.abspath(__file__), '--restore-child', folder, '--child-codec', codec,
               '--threads', str(args.threads), '--instance', str(args.instance)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE)
    private = shmem = 0
    while True:
        pid, status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            break
        fields = status_fields(child.pid)
        private = max(private, fields.get('RssAnon', 0) + fields.get('RssFile', 0))
        shmem = max(shmem, fields.get('RssShmem', 0))
        time.sleep(0.002)
    child.returncode = os.waitstatus_to_exitcode(status)
    output = child.stdout.read()
    child.stdout.close()
    if child.returncode != 0:
        raise SystemExit('bench: the restore child failed (exit %d): %s' % (child.returncode, ' '.join(command)))
    maxrss = json.loads(output)['VmHWM']
    return {'maxrss': maxrss, 'private': private, 'shmem': shmem, 'overhead': max(private, maxrss - shmem)}


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(path, n)) for n in os.listdir(path))


def evict(path):
    """Drop a folder's files from the page cache, as after a reboot (only these files)."""
    for name in os.listdir(path):
        fd = os.open(os.path.join(path, name), os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


# ---------------------------------------------------------------- the run

def log(args, text):
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def rotate(items, by):
    by %= len(items)
    return items[by:] + items[:by]


CACHES = ('warm', 'cold')
# Rows that time one part of a restore alone: filling new segments (the kernel's way, as C gets its
# pages, and the tool's), reading the files, and for our -z files reading and inflating them.
FILL_ROWS = ('floor: fill new segments, populate', 'floor: fill new segments, pwrite')
FLOORS = {'restore plain': 'floor: read plain files (preadv)',
          'restore our -z': 'floor: read, inflate our -z files'}
BACKUP_ROWS = ('raw copy (pwrite+fsync)', 'backup plain', 'backup plain, no CRC', 'backup -z', 'backup -z, -t 1',
               'C backup plain', 'C backup -z')
FALLBACK_ROWS = {'zlib': 'restore our -z, zlib by ctypes', 'zlib-module': 'restore our -z, zlib module'}
RESTORE_ROWS = ('raw readinto', 'restore plain', 'restore plain, through the mapping', 'C restore plain', "restore C's -z",
                "C restore C's -z", 'restore our -z', 'restore our -z, -t 1', 'C restore our -z',
                ) + tuple(FALLBACK_ROWS.values()) + FILL_ROWS + tuple(FLOORS.values())


def cpu_ceilings(args, entries, codec, total):
    """CPU-only figures that explain the end-to-end ones: what CRC and deflate cost without any disk."""
    crc_cpu = Timings('CRC-32 pass (CPU only, segments mapped)', total)
    deflate_cpu = {}
    attachments = [_sysv.Attachment(e.shmid, readonly=True) for e in entries]
    try:
        levels = [codec.level] + ([] if args.no_levels or codec.name != 'isal' else
                                  [lvl for lvl in (0, 2) if lvl != codec.level])
        for attachment in attachments:
            # Mapped beforehand: a backup maps the segments whether or not it computes the CRC.
            _sysv.populate(attachment.address, attachment.size, write=False)
        for unused in range(args.repeat):
            engine = _engine.Engine(args.threads)
            engine.run([CrcJob(e.key, a.view, codec) for e, a in zip(entries, attachments)])
            crc_cpu.add(engine.seconds)
            for level in levels:
                level_codec = LevelCodec(codec.name, level)
                jobs = [DeflateJob(a.view, level_codec) for a in attachments]
                engine = _engine.Engine(args.threads)
                engine.run(jobs)
                timing = deflate_cpu.setdefault(level, Timings('deflate %s level %d (CPU only)' % (codec.name, level),
                                                               total))
                timing.add(engine.seconds)
                timing.extra['ratio'] = round(sum(sum(j.out) for j in jobs) / float(total), 4)
    finally:
        for attachment in attachments:
            attachment.detach()
    return [crc_cpu] + [deflate_cpu[k] for k in sorted(deflate_cpu)]


def backup_steps(args, entries, peer):
    """[(row, folder tag, step(dest) -> seconds)] of the backups, C's only when it is present."""
    instance, threads = args.instance, args.threads
    steps = [
        ('raw copy (pwrite+fsync)', 'raw', lambda d: raw_backup(entries, d, threads)),
        ('backup plain', 'plain', lambda d: tool_backup(d, instance, threads, False)[0]),
        ('backup plain, no CRC', 'nocrc', lambda d: tool_backup(d, instance, threads, False, crc=False)[0]),
        ('backup -z', 'gz', lambda d: tool_backup(d, instance, threads, True)[0]),
        ('backup -z, -t 1', 'gz1', lambda d: tool_backup(d, instance, 1, True)[0]),
    ]
    if peer:
        steps += [('C backup plain', 'cplain', lambda d: peer_backup(peer, d, threads, False)),
                  ('C backup -z', 'cgz', lambda d: peer_backup(peer, d, threads, True))]
    return steps


def run_backups(args, work, results, entries, peer):
    """Every backup, repeated and interleaved; returns {tag: folder of the last repetition}."""
    folders = {}
    steps = backup_steps(args, entries, peer)
    plain, nocrc = steps[1], steps[2]
    others = [step for step in steps if step not in (plain, nocrc)]
    for rep in range(args.repeat):
        # With and without CRC run back to back, in alternating order: their ratio is the CRC's cost.
        pair = [plain, nocrc] if rep % 2 == 0 else [nocrc, plain]
        order = [step for group in rotate([pair] + [[step] for step in others], rep) for step in group]
        for name, tag, step in order:
            dest = os.path.join(work, '%s-%d' % (tag, rep))
            results[name].add(step(dest))
            last = results[name].seconds[-1]
            log(args, 'bench: %-34s %6.2f s  %5.2f GB/s' % (name, last, gbps(results[name].nbytes, last)))
            previous = folders.get(tag)
            folders[tag] = dest
            if previous:
                shutil.rmtree(previous)
                # Freed blocks are discarded at the journal's commit: not during the next step.
                os.sync()
    return folders


def mapped_restore(source, instance, threads):
    """The tool's restore as where the segment's file cannot be opened (not root): through the mapping."""
    _segment_file._unavailable.append('bench')
    try:
        return tool_restore(source, instance, threads)
    finally:
        _segment_file._unavailable.remove('bench')


# The codecs of the restore rows, by the name a restore child is given: the tool as installed
# (isal), and as on the managed hosts' python3 (libz by ctypes, or the zlib module).
CHILD_CODECS = {
    'auto': lambda: None,
    'zlib': lambda: _codec.get_codec('zlib'),
    'zlib-module': lambda: _codec.get_codec('zlib', native=False),
}


def restore_steps(args, peer):
    """[(row, folder tag, run(folder) -> seconds, child codec)]; a child codec: its memory is measured too."""
    instance, threads = args.instance, args.threads
    steps = [
        ('raw readinto', 'raw', lambda d: raw_restore(d, threads), None),
        ('restore plain', 'plain', lambda d: tool_restore(d, instance, threads), 'auto'),
        ('restore plain, through the mapping', 'plain', lambda d: mapped_restore(d, instance, threads), 'mapped'),
        ("restore C's -z", 'cgz', lambda d: tool_restore(d, instance, threads), 'auto'),
        ('restore our -z', 'gz', lambda d: tool_restore(d, instance, threads), 'auto'),
        ('restore our -z, -t 1', 'gz', lambda d: tool_restore(d, instance, 1), None),
    ]
    if not args.no_fallback:
        # The managed hosts' python3 has no isal: libz by ctypes, and the zlib module where that fails.
        steps += [(row, 'gz', lambda d, name=name: tool_restore(d, instance, threads, CHILD_CODECS[name]()), name)
                  for name, row in FALLBACK_ROWS.items()]
    steps += [(FILL_ROWS[0], 'plain', lambda d: new_segments(d, instance, threads, populate_piece), None),
              (FILL_ROWS[1], 'plain', lambda d: new_segments(d, instance, threads, pwrite_piece), None),
              (FLOORS['restore plain'], 'plain', lambda d: read_alone(d, threads), None),
              (FLOORS['restore our -z'], 'gz', lambda d: read_and_inflate_alone(d, instance, threads), None)]
    if peer:
        steps += [('C restore plain', 'plain', lambda d: peer_restore(peer, d, threads), None),
                  ("C restore C's -z", 'cgz', lambda d: peer_restore(peer, d, threads), None),
                  ('C restore our -z', 'gz', lambda d: peer_restore(peer, d, threads), None)]
    return [step for step in steps if step[1] != 'cgz' or peer]


def check_restored(args, name, folder, codec, original):
    restored = namespace_segments(args.instance)
    if name != 'raw readinto' and not name.startswith('floor:'):
        crcs = fingerprint(restored, codec, args.threads)[0]
        remove_segments(restored)
        if crcs != original:
            raise SystemExit('bench: %s from %s did not reproduce the segments (CRC-32 differ)' % (name, folder))


def run_restores(args, results, folders, original, codec, peer):
    """Every restore, warm and cold, repeated and interleaved; each one checked byte for byte."""
    steps = restore_steps(args, peer)
    for rep in range(args.repeat):
        for cache in CACHES:
            for name, tag, step, unused in rotate(steps, rep):
                folder = folders[tag]
                if cache == 'cold':
                    evict(folder)
                seconds = step(folder)
                row = results['%s [%s]' % (name, cache)]
                row.add(seconds)
                check_restored(args, name, folder, codec, original)
                log(args, 'bench: %-45s %6.2f s  %5.2f GB/s' % (row.name, seconds, gbps(row.nbytes, seconds)))
    # Memory: each of the tool's restores once more, alone in a fresh process.
    for name, tag, unused, child_codec in steps:
        if child_codec is not None:
            rss = child_rss(args, folders[tag], child_codec)
            check_restored(args, name, folders[tag], codec, original)
            results['%s [warm]' % name].extra['rss'] = rss
            log(args, 'bench: %-45s peak RSS %.0f MiB, %.0f MiB of it the segments\' (RssShmem), overhead %.0f MiB'
                % (name, rss['maxrss'] / MIB, rss['shmem'] / MIB, rss['overhead'] / MIB))


def run(args, work):
    size = int(args.size * GIB)
    codec = _codec.get_codec('auto')
    peer = None if args.no_peer else peer_path(args.peer)
    log(args, 'bench: building %.2f GiB in %d stages with the asd simulator ...' % (size / GIB, args.stages))
    started = time.monotonic()
    entries = build_segments(os.path.join(work, 'sim-state'), size, args.stages, args.instance)
    total = sum(e.size for e in entries)
    build_seconds = time.monotonic() - started
    original = fingerprint(entries, codec, args.threads)[0]
    log(args, 'bench: %d segments, %d bytes, built in %.1f s; C ASMT: %s'
        % (len(entries), total, build_seconds, peer or 'absent, its rows are skipped'))
    results = dict((name, Timings(name, total)) for name in BACKUP_ROWS)
    for name in RESTORE_ROWS:
        for cache in CACHES:
            results['%s [%s]' % (name, cache)] = Timings('%s [%s]' % (name, cache), total)
    cpu = cpu_ceilings(args, entries, codec, total)
    folders = run_backups(args, work, results, entries, peer)
    info = {'compressed_file_bytes': folder_bytes(folders['gz'])}
    results['backup -z'].extra['ratio'] = round(info['compressed_file_bytes'] / float(total), 4)
    if peer:
        results['C backup -z'].extra['ratio'] = round(folder_bytes(folders['cgz']) / float(total), 4)
    # Restore needs the namespace gone, as after a reboot.
    remove_segments(entries)
    run_restores(args, results, folders, original, codec, peer)
    results = dict((name, t) for name, t in results.items() if t.seconds)
    return {
        'segments': len(entries), 'bytes': total, 'build_seconds': round(build_seconds, 2),
        'threads': args.threads, 'codec': codec.name, 'level': codec.level, 'repeat': args.repeat,
        'folder': args.dir, 'peer': peer, 'chunk': _engine.COMPRESS_CHUNK,
        'results': results, 'cpu': cpu, **info,
    }


# ---------------------------------------------------------------- verdicts and tables

def _time_ratio(results, tool, other):
    """(best, median) of tool's time over other's: below 1, the tool is faster."""
    a, b = results.get(tool), results.get(other)
    if a is None or b is None:
        return None
    return a.best / b.best, a.median / b.median


def targets(figures):
    """[(target, wanted, kind, threshold, (best, median) or None)]; 'max' targets pass at or below."""
    r = figures['results']
    n = figures['threads']
    plain, nocrc = r['backup plain'], r['backup plain, no CRC']
    rows = [
        ('plain backup vs raw copy', '>= 0.9x', 'min', 0.9,
         (r['raw copy (pwrite+fsync)'].best / plain.best, r['raw copy (pwrite+fsync)'].median / plain.median)),
        ('CRC-32 cost (plain backup)', '<= 10%', 'cost', 0.10,
         (plain.best / nocrc.best - 1, statistics.median(a / b for a, b in zip(plain.seconds, nocrc.seconds)) - 1)),
        ('backup -z / C backup -z', '<= 0.2', 'max', 0.2, _time_ratio(r, 'backup -z', 'C backup -z')),
        ('backup -z: -t %d / -t 1' % n, '<= 0.6', 'max', 0.6, _time_ratio(r, 'backup -z', 'backup -z, -t 1')),
    ]
    for cache in CACHES:
        def pair(tool, other):
            return _time_ratio(r, '%s [%s]' % (tool, cache), '%s [%s]' % (other, cache))
        rows += [
            ('restore plain / C [%s]' % cache, '<= 0.85', 'max', 0.85, pair('restore plain', 'C restore plain')),
            ("restore C's -z / C [%s]" % cache, '<= 0.85', 'max', 0.85, pair("restore C's -z", "C restore C's -z")),
            ('restore our -z / C [%s]' % cache, '<= 0.45', 'max', 0.45, pair('restore our -z', 'C restore our -z')),
            ('restore our -z: -t %d / -t 1 [%s]' % (n, cache), '<= 0.6', 'max', 0.6,
             pair('restore our -z', 'restore our -z, -t 1')),
        ]
    limit = 64 * MIB + n * figures['chunk']
    for name in [n for n in RESTORE_ROWS if 'rss' in r.get('%s [warm]' % n, Timings('', 0)).extra]:
        rss = r['%s [warm]' % name].extra['rss']
        rows.append(('peak RSS: %s' % name, '<= %d MiB' % (limit // MIB), 'rss', limit,
                     (rss['overhead'], rss['overhead'])))
    return rows


def verdicts(figures):
    out = []
    for name, wanted, kind, threshold, measured in targets(figures):
        if measured is None:
            out.append({'target': name, 'wanted': wanted, 'kind': kind, 'best': None, 'median': None,
                        'verdict': 'SKIP (no C ASMT)'})
            continue
        best, median = measured
        # The CRC's cost is judged on the pairs run back to back: best against best mixes moments.
        if kind == 'cost':
            ok = median <= threshold
        elif kind == 'min':
            ok = best >= threshold
        else:
            ok = best <= threshold
        out.append({'target': name, 'wanted': wanted, 'kind': kind, 'best': round(best, 3), 'median': round(median, 3),
                    'verdict': 'PASS' if ok else 'MISS'})
    return out


def fmt(kind, value):
    if value is None:
        return '-'
    if kind == 'min':
        return '%.2fx' % value
    if kind == 'max':
        return '%.2f' % value
    if kind == 'rss':
        return '%.0f MiB' % (value / MIB)
    return '%+.1f%%' % (value * 100)


def c_partner(name):
    """The C ASMT row a row of the tool compares with, or None."""
    if name.startswith(('C ', 'raw ')):
        return None
    cache = name[name.index(' ['):] if ' [' in name else ''
    base = name[:len(name) - len(cache)]
    if base.startswith('backup plain'):
        return 'C backup plain'
    if base.startswith('backup -z'):
        return 'C backup -z'
    for stem in ('restore plain', "restore C's -z", 'restore our -z'):
        if base.startswith(stem):
            return 'C %s%s' % (stem, cache)
    return None


def table(figures, rows):
    r = figures['results']
    lines = [
        'fastrestart.aerospike benchmark: %d segments, %.2f GiB (%d bytes), %d threads, codec %s level %d, '
        'best of %d' % (figures['segments'], figures['bytes'] / GIB, figures['bytes'], figures['threads'],
                        figures['codec'], figures['level'], figures['repeat']),
        'C ASMT: %s; restores with the page cache warm (files as the backup or the last read left them) and cold '
        '(fdatasync + POSIX_FADV_DONTNEED on the files before each restore)' % (figures['peer'] or 'absent'),
        'host: %s, %d CPUs, Python %s; folder %s' % (platform.platform(), os.cpu_count() or 0,
                                                     platform.python_version(), figures['folder']),
        'other processes used %.0f%% of the CPUs during the run (1-minute load average %.2f before, %.2f-%.2f '
        'during, median %.2f)%s' % (
            100 * figures['other_cpu_share'], figures['loadavg']['before'][0], figures['loadavg']['during']['min'],
            figures['loadavg']['during']['max'], figures['loadavg']['during']['median'],
            ': THE MACHINE WAS BUSY, figures understate the tool and C alike' if figures['other_cpu_share'] > BUSY_SHARE
            else ''),
        '',
        '%-46s %7s %8s %9s %7s %9s' % ('step', 'best s', 'median s', 'best GB/s', 'vs C', 'peak RSS'),
        '-' * 92,
    ]
    for name in [n for n in BACKUP_ROWS if n in r] + [
            '%s [%s]' % (n, c) for c in CACHES for n in RESTORE_ROWS if '%s [%s]' % (n, c) in r]:
        t = r[name]
        partner = r.get(c_partner(name))
        label = name + (' (files %.2f)' % t.extra['ratio'] if 'ratio' in t.extra else '')
        lines.append('%-46s %7.2f %8.2f %9.2f %7s %9s' % (
            label, t.best, t.median, gbps(t.nbytes, t.best), '%.2f' % (t.best / partner.best) if partner else '',
            '%.0f MiB' % (t.extra['rss']['overhead'] / MIB) if 'rss' in t.extra else ''))
    lines.append('-' * 92)
    for t in figures['cpu']:
        label = t.name + (' (ratio %.2f)' % t.extra['ratio'] if 'ratio' in t.extra else '')
        lines.append('%-50s %6.2f s %6.2f GB/s' % (label, t.best, gbps(t.nbytes, t.best)))
    lines += [''] + scaling_table(figures)
    lines += [''] + floor_table(figures)
    header = ('target (time ratios: lower is faster)', 'wanted', 'best', 'median', 'verdict')
    lines += ['', '%-40s %-10s %9s %9s  %s' % header, '-' * 92]
    for row in rows:
        lines.append('%-40s %-10s %9s %9s  %s' % (row['target'], row['wanted'], fmt(row['kind'], row['best']),
                                                  fmt(row['kind'], row['median']), row['verdict']))
    lines += ['-' * 92, 'Verdicts use best times (the CRC cost: the median of back-to-back pairs). Peak RSS: a fresh '
              'process that only restores 1 copy of the set;', 'its VmHWM less the segments\' '
              'pages it mapped (RssShmem), or its RssAnon + RssFile peak if higher,', 'both sampled every 2 ms. '
              'Through the segment\'s file the restore maps none of the segments\' pages.']
    return '\n'.join(lines)


def scaling_table(figures):
    """Best seconds at -t 1 and -t N of the compressed transfers of our chunk-indexed files."""
    r = figures['results']
    n = figures['threads']
    lines = ['%-34s %9s %9s %12s' % ('chunk-indexed -z (best s)', '-t 1', '-t %d' % n, '-t %d / -t 1' % n), '-' * 68]
    pairs = [('backup -z', 'backup -z, -t 1', 'backup -z')]
    pairs += [('restore our -z [%s]' % c, 'restore our -z, -t 1 [%s]' % c, 'restore our -z [%s]' % c) for c in CACHES]
    for label, one, many in pairs:
        if one in r and many in r:
            lines.append('%-34s %9.2f %9.2f %12.2f' % (label, r[one].best, r[many].best, r[many].best / r[one].best))
    return lines


def floors(figures):
    """[{row, fill, read, least, most, tool, c}] best seconds: what a restore must at least take here.

    A restore must fill its new segments and must read its files (inflate them, for -z), each
    timed alone, done the fastest way measured. However it overlaps them, it takes at least the
    longer one (least). Where both keep every CPU busy (a warm cache), they cannot overlap and
    it takes their sum (most); cold, the disk may hide the fill, so it is the larger of the
    cold read and the warm sum.
    """
    r = figures['results']
    out = []
    fills = [r[name].best for name in ('%s [%s]' % (f, c) for f in FILL_ROWS for c in CACHES) if name in r]
    for stem, row in FLOORS.items():
        warm = r.get('%s [warm]' % row)
        for cache in CACHES:
            tool, read = r.get('%s [%s]' % (stem, cache)), r.get('%s [%s]' % (row, cache))
            if not fills or tool is None or read is None or warm is None:
                continue
            busy = min(fills) + warm.best
            c = r.get('C %s [%s]' % (stem, cache))
            out.append({'row': '%s [%s]' % (stem, cache), 'fill': min(fills), 'read': read.best,
                        'least': max(min(fills), read.best), 'most': busy if cache == 'warm' else max(read.best, busy),
                        'tool': tool.best, 'c': c.best if c else None})
    return out


def _ratio(seconds, c_seconds):
    return '-' if c_seconds is None else '%.2f' % (seconds / c_seconds)


def floor_table(figures):
    header = ('least a restore takes (s)', 'fill', 'read', 'longer', 'CPU-sum', 'tool', 'C', 'longer/C', 'sum/C')
    lines = ['%-26s %6s %6s %7s %7s %6s %6s %8s %8s' % header, '-' * 92]
    for f in floors(figures):
        lines.append('%-26s %6.2f %6.2f %7.2f %7.2f %6.2f %6s %8s %8s' % (
            f['row'], f['fill'], f['read'], f['least'], f['most'], f['tool'], '-' if f['c'] is None else '%.2f' % f['c'],
            _ratio(f['least'], f['c']), _ratio(f['most'], f['c'])))
    lines += ['fill: new segments of the same sizes filled alone (the faster of populate and pwrite); read: the files '
              'read alone', '(plain: preadv into a buffer; our -z: read, inflated with %s and hashed by the restore\'s '
              'readers). A restore does both,' % figures['codec'], 'so it takes at least the longer; and where both '
              'keep every CPU busy (warm), their sum (CPU-sum; cold: the larger of', 'the cold read and the warm sum). '
              'longer/C and sum/C: the lowest time ratio against C that a restore can reach here.']
    return lines


def document(figures, rows):
    out = dict(figures)
    out['results'] = [t.to_dict() for t in figures['results'].values()]
    out['cpu'] = [t.to_dict() for t in figures['cpu']]
    out['targets'] = rows
    out['floors'] = floors(figures)
    out['host'] = {'platform': platform.platform(), 'cpus': os.cpu_count(), 'python': platform.python_version()}
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='bench.py', description='Time backup and restore of simulated Aerospike index segments against a raw copy '
        'and C ASMT 2.2.1, measured in the same run, page cache warm and cold. Runs in a private IPC namespace.')
    parser.add_argument('--size', type=float, default=1.0, help='GiB of segments to build (default 1)')
    parser.add_argument('--stages', type=int, default=None, help='primary index stages (default: one per 128 MiB)')
    parser.add_argument('--repeat', type=int, default=3, help='repetitions of each measurement (default 3)')
    parser.add_argument('--threads', type=int, default=_engine.default_threads(),
                        help='I/O threads for the tool, C ASMT and the raw copy (default: CPUs available, %(default)s)')
    parser.add_argument('--dir', default='/var/tmp', help='folder on disk for the backups (default /var/tmp; not tmpfs)')
    parser.add_argument('--instance', type=int, default=0, help='Aerospike instance number of the segments (default 0)')
    parser.add_argument('--peer', help='C ASMT binary (default ../shared/peer/asmt beside the checkout, if present)')
    parser.add_argument('--no-peer', action='store_true', help='skip the C ASMT rows even if the binary is present')
    parser.add_argument('--no-fallback', action='store_true', help='skip the restores through zlib (hosts without isal)')
    parser.add_argument('--no-levels', action='store_true', help='skip the survey of other deflate levels (CPU only)')
    parser.add_argument('--keep-dir', action='store_true', help='keep the work folder (backups) for inspection')
    parser.add_argument('--json', action='store_true', help='print the figures as JSON on stdout (table on stderr)')
    parser.add_argument('--quiet', action='store_true', help='no progress lines')
    parser.add_argument('--quiet-load', type=float, default=1.5,
                        help='wait for the 1-minute load average to drop below this before starting (default 1.5)')
    parser.add_argument('--wait', type=float, default=300,
                        help='seconds to wait at most for that (default 300; 0: start at once)')
    parser.add_argument('--restore-child', help=argparse.SUPPRESS)
    parser.add_argument('--child-codec', default='auto', choices=('mapped',) + tuple(CHILD_CODECS),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size <= 0 or args.repeat < 1 or args.threads < 1:
        parser.error('--size must be > 0, --repeat and --threads >= 1')
    if args.stages is None:
        args.stages = max(1, int(round(args.size * 8)))
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    private_ipc.ensure([os.path.abspath(__file__)] + sys.argv[1:], 'bench')
    if args.restore_child:
        return restore_child(args)
    if not os.path.isdir(args.dir):
        raise SystemExit('bench: %s is not a folder: give --dir a folder on disk' % args.dir)
    volatile = _folder.volatile_filesystem(args.dir)
    if volatile:
        raise SystemExit('bench: %s is on %s: the figures must include a real disk; choose --dir on disk'
                         % (args.dir, volatile))
    wait_for_quiet(args)
    work = tempfile.mkdtemp(prefix='fastrestart-bench-', dir=args.dir)
    load_before = os.getloadavg()
    usage = CpuUsage()
    watch = LoadWatch()
    try:
        figures = run(args, work)
        figures['loadavg'] = {'before': [round(x, 2) for x in load_before],
                              'after': [round(x, 2) for x in os.getloadavg()], 'during': watch.stop()}
        figures['other_cpu_share'] = round(usage.others(), 3)
    finally:
        scratch = [e for e in _sysv.list_segments() if e.key & 0xFF000000 == SCRATCH_KEY]
        remove_segments(namespace_segments(args.instance) + scratch)
        if args.keep_dir:
            print('bench: kept %s' % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    rows = verdicts(figures)
    text = table(figures, rows)
    if args.json:
        print(text, file=sys.stderr)
        print(json.dumps(document(figures, rows), indent=2, sort_keys=True))
    else:
        print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
