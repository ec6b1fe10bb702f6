# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Transfers between a segment and its file, split into chunks for the engine.

Backup writes straight from a memoryview of the attached segment (no copy in Python) or
deflates it chunk by chunk; restore reads straight into the new segment's memory. The same
readers, given no segment, verify a file without touching shared memory. Every transfer
computes the CRC-32 of the segment's contents on the way.
"""

from __future__ import absolute_import, division, print_function

import os
import threading

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _inflate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _segment_file
from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import (
    COMPRESS_CHUNK,
    COPY_CHUNK,
    COPY_SLICE,
    Job,
    chunk_ranges,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    IntegrityError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._inflate import (
    ZERO_RETRIES,
    write_all,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._result import (
    Made,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._sysv import (
    MODE_MASK,
    populate,
    start_writeback,
)

__metaclass__ = type

# Restore reads into a new segment by slices this large, letting the copy fault its pages in:
# measured on a 2-vCPU VM, MADV_POPULATE_WRITE beforehand made restores about 10% slower, and
# slice by slice (1 MiB) no faster within the noise of a shared machine.
READ_SLICE = 4 << 20
# Restore through the segment's file (_segment_file) reads, hashes and writes by slices this
# large: the slice stays in the CPU cache from the read to the write. 128 KiB to 1 MiB all
# measured alike; 4 MiB spills out of the cache.
BOUNCE_SLICE = 256 << 10
# Deflate's input per call: the slice and its output stay in the CPU cache, and the output
# pieces stay small enough for malloc to reuse their memory instead of faulting in new pages.


def read_exactly(fd, view, offset, path):
    """Fill view from the file at offset; a file that ends early is truncated."""
    zero = 0
    while len(view):
        try:
            got = os.preadv(fd, [view], offset)
        except OSError as exc:
            raise ExecutionError('%s: read failed: %s' % (path, exc.strerror), path=path, errno=exc.errno)
        if got == 0:
            zero += 1
            if zero > ZERO_RETRIES:
                raise IntegrityError('%s: the file ends at %d bytes, before the segment does; it is truncated'
                                     % (path, offset), path=path)
            continue
        view = view[got:]
        offset += got


def finalize_file(fd, item, path):
    """Owner, group and permission bits of the segment, then fsync: a reboot follows a backup."""
    try:
        os.fchown(fd, item.uid, item.gid)
    except OSError as exc:
        raise ExecutionError('%s: Unable to set uid or gid for file: error was %d: %s.' % (path, exc.errno, exc.strerror),
                             path=path)
    try:
        # Only the permission bits: shm_perm.mode can carry SHM_DEST/SHM_LOCKED
        # (docs/asmt-format.md §7, difference 17).
        os.fchmod(fd, item.mode & MODE_MASK)
    except OSError as exc:
        raise ExecutionError('%s: Unable to set mode for file: error was %d: %s.' % (path, exc.errno, exc.strerror),
                             path=path)
    os.fsync(fd)


class ChunkedJob(Job):
    """A job whose per-chunk CRCs combine into the CRC of the whole segment."""

    def __init__(self, item, path, codec, chunk):
        super(ChunkedJob, self).__init__(item.file, item.size)
        self.item = item
        self.path = path
        self.codec = codec
        self.ranges = chunk_ranges(item.size, chunk)
        self.crcs = [None] * len(self.ranges)
        self.crc = None
        self.made = None    # a writer's Made, once finished

    def combined_crc(self):
        crc = self.crcs[0]
        for (dummy, length), part in zip(self.ranges[1:], self.crcs[1:]):
            crc = self.codec.crc32_combine(crc, part, length)
        return crc


class PlainWriter(ChunkedJob):
    """Segment to .dat file: zero-copy pwrite of memoryview slices, chunks in parallel."""

    def __init__(self, item, view, fd, path, codec, crc=True, address=None):
        super(PlainWriter, self).__init__(item, path, codec, COPY_CHUNK)
        self.view = view
        self.address = address
        self.fd = fd
        self.with_crc = crc
        self.tasks = [self._task(i) for i in range(len(self.ranges))]

    def _task(self, index):
        start, length = self.ranges[index]

        def run(engine):
            if self.address is not None:
                populate(self.address + start, length, write=False)
            crc = 0
            for offset in range(start, start + length, COPY_SLICE):
                piece = self.view[offset:min(offset + COPY_SLICE, start + length)]
                if self.with_crc:
                    crc = self.codec.crc32(piece, crc)
                write_all(self.fd, piece, offset, self.path)
                engine.advance(len(piece))
            start_writeback(self.fd, start, length)
            self.crcs[index] = crc
        return run

    def finish(self):
        self.crc = self.combined_crc() if self.with_crc else None
        self.made = Made(crc32=self.crc, file_size=self.item.size)
        finalize_file(self.fd, self.item, self.path)
        super(PlainWriter, self).finish()


class GzipWriter(ChunkedJob):
    """Segment to .dat.gz: chunks deflated in parallel, written in order behind the header.

    A worker may run ahead of the next chunk to be written by at most `window` chunks, so
    memory stays bounded by threads x chunk size whatever the segment's size. One worker at a
    time writes the chunks that are ready, in order, outside the lock: the others go on
    deflating meanwhile, so a compressed backup costs about max(CPU, disk), not their sum.
    """

    def __init__(self, item, view, fd, path, codec, window, address=None):
        super(GzipWriter, self).__init__(item, path, codec, COMPRESS_CHUNK)
        self.view = view
        self.address = address
        self.fd = fd
        self.window = max(1, window)
        self.pending = {}
        self.next_index = 0
        self.writing = False
        self.position = _fileformat.STREAM_START
        self.offsets = []
        self.cond = threading.Condition()
        self.tasks = [self._task(i) for i in range(len(self.ranges))]

    def _task(self, index):
        start, length = self.ranges[index]

        def run(engine):
            with self.cond:
                # The lowest unwritten chunk never waits, so this cannot deadlock.
                while index >= self.next_index + self.window:
                    self.cond.wait(0.2)
                    engine.advance(0)
            if self.address is not None:
                populate(self.address + start, length, write=False)
            pieces, self.crcs[index] = _fileformat.deflate_pieces(self.codec, self.view[start:start + length],
                                                                  index == len(self.ranges) - 1)
            with self.cond:
                self.pending[index] = pieces
                if self.writing:
                    return engine.advance(length)
                self.writing = True
            try:
                self._write_ready()
            except BaseException:
                with self.cond:
                    self.writing = False
                raise
            engine.advance(length)
        return run

    def _write_ready(self):
        """Write the chunks that are ready, in order, until the next one is not."""
        while True:
            with self.cond:
                pieces = self.pending.pop(self.next_index, None)
                if pieces is None:
                    # Given up under the same lock a worker takes to add a chunk: none is left behind.
                    self.writing = False
                    self.cond.notify_all()
                    return
                position = self.position
                self.offsets.append(position)
                self.position += sum(len(piece) for piece in pieces)
                self.next_index += 1
                self.cond.notify_all()
            offset = position
            for piece in pieces:
                write_all(self.fd, memoryview(piece), offset, self.path)
                offset += len(piece)
            start_writeback(self.fd, position, offset - position)

    def finish(self):
        self.crc = self.combined_crc()
        write_all(self.fd, memoryview(_fileformat.gzip_trailer(self.crc, self.item.size)), self.position, self.path)
        write_all(self.fd, memoryview(_fileformat.GZIP_HEADER), _fileformat.HEADER_SIZE, self.path)
        write_all(self.fd, memoryview(_fileformat.pack_header(self.item.size, self.crc)), 0, self.path)
        self.made = Made(crc32=self.crc, file_size=self.position + _fileformat.GZIP_TRAILER.size,
                         chunk_size=COMPRESS_CHUNK, chunk_offsets=list(self.offsets))
        finalize_file(self.fd, self.item, self.path)
        super(GzipWriter, self).finish()


class ReaderMixin:
    """Checks shared by the readers once a whole file has been read.

    expected is the CRC-32 the contents must have: the manifest's (the item's expected_crc),
    or the one a backup just computed while writing the file; None when nothing records it.
    Each reader sets self.expected.
    """

    def check_crc(self):
        item = self.item
        if self.expected is not None and self.crc != self.expected:
            raise IntegrityError('%s: CRC-32 of the contents is 0x%08x, the manifest records 0x%08x; the file is damaged'
                                 % (self.path, self.crc, self.expected), path=self.path, key=item.key.hex)
        if item.compressed and item.header_crc and self.crc != item.header_crc:
            raise IntegrityError('%s: CRC-32 of the contents is 0x%08x, the file header records 0x%08x; the file is damaged'
                                 % (self.path, self.crc, item.header_crc), path=self.path, key=item.key.hex)


class PlainReader(ChunkedJob, ReaderMixin):
    """.dat file into a segment (target given) or only checked (target None)."""

    def __init__(self, item, fd, path, codec, target=None, expected=None):
        super(PlainReader, self).__init__(item, path, codec, COPY_CHUNK)
        self.fd = fd
        self.target = target
        self.expected = expected
        self.tasks = [self._task(i) for i in range(len(self.ranges))]

    def _task(self, index):
        start, length = self.ranges[index]

        def run(engine):
            # Announced whole, the chunk is read from a cold disk while its first slices are copied.
            os.posix_fadvise(self.fd, start, length, os.POSIX_FADV_WILLNEED)
            out = _segment_file.open_for(self.target) if self.target is not None else None
            try:
                if self.target is not None and out is None:
                    self.crcs[index] = self._read_mapped(engine, start, length)
                else:
                    self.crcs[index] = self._read_buffered(engine, start, length, out)
            finally:
                if out is not None:
                    os.close(out)
        return run

    def _read_buffered(self, engine, start, length, out):
        """Through this thread's small buffer, hashed while in the CPU cache, then pwritten to out (None: checked only)."""
        crc = 0
        for offset in range(start, start + length, BOUNCE_SLICE):
            piece = _inflate.thread_buffer('bounce', min(BOUNCE_SLICE, start + length - offset))
            read_exactly(self.fd, piece, offset, self.path)
            crc = self.codec.crc32(piece, crc)
            if out is not None:
                write_all(out, piece, offset, self.path)
            engine.advance(len(piece))
        return crc

    def _read_mapped(self, engine, start, length):
        """Straight into the segment's mapping, letting the copy fault its pages in."""
        view = self.target.view
        crc = 0
        for offset in range(start, start + length, READ_SLICE):
            piece = view[offset:min(offset + READ_SLICE, start + length)]
            read_exactly(self.fd, piece, offset, self.path)
            crc = self.codec.crc32(piece, crc)
            engine.advance(len(piece))
        return crc

    def finish(self):
        self.crc = self.combined_crc()
        self.check_crc()
        super(PlainReader, self).finish()


def valid_chunk_index(size, chunk_size, offsets, file_size):
    """True when a chunk index (the manifest's, or the one a backup just wrote) fits this file of
    a segment of size bytes; otherwise the file is read from start to end."""
    if not offsets or not chunk_size or chunk_size <= 0:
        return False
    if len(offsets) != len(chunk_ranges(size, chunk_size)):
        return False
    if offsets[0] != _fileformat.STREAM_START:
        return False
    limit = file_size - _fileformat.GZIP_TRAILER.size
    return all(a < b for a, b in zip(offsets, offsets[1:] + [limit]))


class GzipReader(ChunkedJob, ReaderMixin):
    """.dat.gz file into a segment (target given) or only checked (target None).

    With a chunk index from our manifest the chunks inflate in parallel; a file from C ASMT
    has none and is inflated from start to end by one worker. index is (chunk size, offsets).
    """

    def __init__(self, item, fd, path, codec, file_size, target=None, expected=None, index=(None, None)):
        chunk_size, self.offsets = index
        indexed = valid_chunk_index(item.size, chunk_size, self.offsets, file_size)
        super(GzipReader, self).__init__(item, path, codec, chunk_size if indexed else max(item.size, 1))
        self.fd = fd
        self.file_size = file_size
        self.target = target
        self.expected = expected
        self.indexed = indexed
        self.trailer = None
        if indexed:
            self.tasks = [self._chunk_task(i) for i in range(len(self.ranges))]
        else:
            self.tasks = [self._stream_task]

    def _target(self):
        """(memoryview, address) of the segment, or (None, None) when only checking."""
        if self.target is None:
            return None, None
        return self.target.view, self.target.address

    def _chunk_task(self, index):
        start, length = self.ranges[index]
        last = index == len(self.ranges) - 1
        begin = self.offsets[index]
        end = self.file_size if last else self.offsets[index + 1]

        def run(engine):
            view, address = self._target()
            if view is not None:
                view = view[start:start + length]
                address += start
            out = _segment_file.open_for(self.target) if self.target is not None else None
            try:
                self.crcs[index], trailer = _inflate.inflate_chunk(self.codec, self.fd, begin, end, view, address, start,
                                                                   length, last, self.path, out_fd=out)
            finally:
                if out is not None:
                    os.close(out)
            if last:
                self.trailer = trailer
            engine.advance(length)
        return run

    def _stream_task(self, engine):
        view, address = self._target()
        out = _segment_file.open_for(self.target) if self.target is not None else None
        try:
            self.crcs[0] = _inflate.inflate_stream(self.codec, self.fd, self.item.size, self.file_size, view, address,
                                                   self.path, progress=engine.advance, out_fd=out)
        finally:
            if out is not None:
                os.close(out)

    def finish(self):
        self.crc = self.combined_crc()
        if self.indexed:
            _fileformat.check_trailer(self.trailer, self.crc, self.item.size, self.path)
        self.check_crc()
        super(GzipReader, self).finish()


def reader(item, fd, path, codec, file_size, target=None, written=None):
    """The reader for an item's file, checked against the manifest's CRC-32 and chunk index, or
    against written (the Made of a backup that just wrote the file, to read it back)."""
    if written is None:
        expected, index = item.expected_crc, (item.chunk_size, item.chunk_offsets)
    else:
        expected, index = written.crc32, (written.chunk_size, written.chunk_offsets)
    if item.compressed:
        return GzipReader(item, fd, path, codec, file_size, target, expected, index)
    return PlainReader(item, fd, path, codec, target, expected)


class SegmentHasher(ChunkedJob):
    """CRC-32 of a live segment, chunks in parallel; used to compare segments with a manifest."""

    def __init__(self, item, view, codec):
        super(SegmentHasher, self).__init__(item, item.key.hex, codec, COPY_CHUNK)
        self.view = view
        self.tasks = [self._task(i) for i in range(len(self.ranges))]

    def _task(self, index):
        start, length = self.ranges[index]

        def run(engine):
            crc = 0
            for offset in range(start, start + length, COPY_SLICE):
                piece = self.view[offset:min(offset + COPY_SLICE, start + length)]
                crc = self.codec.crc32(piece, crc)
                engine.advance(len(piece))
            self.crcs[index] = crc
        return run

    def finish(self):
        self.crc = self.combined_crc()
        super(SegmentHasher, self).finish()
