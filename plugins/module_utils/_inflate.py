# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Inflate a compressed file, or one chunk of it, straight into a segment's memory.

The input is read in small slices into a buffer each thread reuses, and the output is
written slice by slice where it belongs, its pages faulted in just before (MADV_POPULATE_WRITE,
cheaper than a fault per page) and its CRC-32 taken while it is still in the CPU cache. So
memory stays at a few MiB per thread whatever the chunk's size, and the data crosses memory
once. Reads are announced ahead (POSIX_FADV_WILLNEED), so that with a cold page cache the disk
works while the CPU inflates.

Three inflaters share one interface: libz through ctypes (writes at the segment's address,
no copy), isal's and the zlib module's decompress objects (one copy of each output slice).
"""

from __future__ import absolute_import, division, print_function

import os
import threading

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._codec import (
    AUTO_WBITS,
    RAW_WBITS,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    IntegrityError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._zlib_ctypes import (
    ZlibError,
)

__metaclass__ = type

# Compressed input read at a time: small enough that inflate consumes it in one call (no
# unconsumed_tail copies), large enough that the read costs nothing next to inflating it.
FEED_SLICE = 256 << 10
# Output produced at a time: it stays in the CPU cache between inflate, CRC and copy.
OUT_SLICE = 1 << 20
# With a cold page cache, the file is announced this far ahead of what is being inflated.
READ_AHEAD = 16 << 20
# A whole-file stream reports progress after each step of this many segment bytes.
STREAM_STEP = 64 << 20
# A write or read that moves no bytes is retried a few times, then fails (C ASMT loops
# forever on a 0 return: docs/asmt-format.md §7, difference 11).
ZERO_RETRIES = 3

_local = threading.local()


def thread_buffer(name, size):
    """A per-thread reusable buffer: a fresh one per slice would cost a page fault per 4 KiB."""
    buf = getattr(_local, name, None)
    if buf is None or len(buf) < size:
        buf = bytearray(size)
        setattr(_local, name, buf)
    return memoryview(buf)[:size]


class PythonInflater:
    """A decompress object of the zlib module or of isal, behind the interface of _zlib_ctypes.Inflater."""

    def __init__(self, codec, wbits):
        self.decompressor = codec.decompressor(wbits)
        self.pending = b''

    @property
    def eof(self):
        return self.decompressor.eof

    def feed(self, data):
        self.pending = data

    def has_input(self):
        return len(self.pending) > 0

    def unused(self):
        return len(self.decompressor.unused_data) + len(self.pending)

    def inflate(self, out):
        piece = self.decompressor.decompress(self.pending, len(out))
        self.pending = self.decompressor.unconsumed_tail
        if self.decompressor.eof:
            self.pending = b''
        out[:len(piece)] = piece
        return len(piece)

    def close(self):
        self.pending = b''


def inflater(codec, wbits):
    """libz through ctypes when the codec is zlib and libz loads; otherwise the codec's own."""
    if codec.native is not None:
        return codec.native.inflater(wbits)
    return PythonInflater(codec, wbits)


class Source:
    """Reads a file's bytes begin..end in slices into this thread's buffer, announcing them ahead."""

    def __init__(self, fd, begin, end, path):
        self.fd = fd
        self.position = begin
        self.end = end
        self.path = path
        self.advised = begin

    def read(self):
        """The next slice (a memoryview valid until the next read), or None at the end."""
        if self.position >= self.end:
            return None
        if self.advised < min(self.end, self.position + READ_AHEAD // 2):
            stop = min(self.end, self.position + READ_AHEAD)
            os.posix_fadvise(self.fd, self.advised, stop - self.advised, os.POSIX_FADV_WILLNEED)
            self.advised = stop
        view = thread_buffer('feed', min(FEED_SLICE, self.end - self.position))
        try:
            got = os.preadv(self.fd, [view], self.position)
        except OSError as exc:
            raise ExecutionError('%s: read failed: %s' % (self.path, exc.strerror), path=self.path, errno=exc.errno)
        if got == 0:
            return None
        self.position += got
        return view[:got]


def write_all(fd, view, offset, path):
    """pwrite all of view at offset, continuing after partial writes."""
    zero = 0
    while len(view):
        try:
            written = os.pwrite(fd, view, offset)
        except OSError as exc:
            raise ExecutionError('%s: write failed: %s' % (path, exc.strerror), path=path, errno=exc.errno)
        if written == 0:
            zero += 1
            if zero > ZERO_RETRIES:
                raise ExecutionError('%s: the file system accepted no bytes at offset %d' % (path, offset), path=path)
            continue
        view = view[written:]
        offset += written


def inflate_into(codec, engine, source, out_view, address, size, path, final=True, crc=0, out_fd=None, fd_offset=0):
    """Inflate from source into out_view (None: only check), at most size bytes.

    With out_fd (the segment's file, _segment_file), each slice is inflated into this
    thread's buffer, hashed there and pwritten at fd_offset onwards; out_view is not touched.

    Returns (bytes out, CRC-32 continued from crc, whether the stream ended, input bytes not
    consumed by it). Stops at the end of the stream or of the input; when final, more output
    than size is an error, otherwise it stops once size bytes are out.
    """
    probe = thread_buffer('probe', 1)
    scratch = thread_buffer('scratch', OUT_SLICE) if out_view is None or out_fd is not None else None
    out = 0
    full = False
    while not engine.eof and (final or out < size):
        # A call that filled its output may hold more back: call again before feeding more.
        if not full and not engine.has_input():
            piece = source.read()
            if piece is None:
                break
            engine.feed(piece)
        room = min(OUT_SLICE, size - out)
        if room == 0:
            if engine.inflate(probe):
                raise IntegrityError('%s: the compressed stream holds more than the %d bytes of its segment'
                                     % (path, size), path=path)
            full = False
            continue
        if scratch is not None:
            dst = scratch[:room]
        else:
            dst = out_view[out:out + room]
            if address is not None:
                _sysv.populate(address + out, room, write=True)
        got = engine.inflate(dst)
        full = got == room
        if got:
            crc = codec.crc32(dst[:got], crc)
            if out_fd is not None:
                write_all(out_fd, dst[:got], fd_offset + out, path)
            out += got
    return out, crc, engine.eof, engine.unused()


def _run(codec, wbits, source, out_view, address, size, path, what, out_fd, fd_offset):
    engine = inflater(codec, wbits)
    try:
        return inflate_into(codec, engine, source, out_view, address, size, path, out_fd=out_fd, fd_offset=fd_offset)
    except (codec.error, ZlibError) as exc:
        raise IntegrityError('%s: corrupt compressed data %s (%s)' % (path, what, exc), path=path)
    finally:
        engine.close()


def inflate_chunk(codec, fd, begin, end, out_view, address, start, length, last, path, out_fd=None):
    """Inflate one chunk written by deflate_pieces (file bytes begin..end) into segment bytes start..start+length.

    out_view is the segment's memory for those bytes (None only checks them), address
    their address when they are a segment's; out_fd, the segment's file, replaces them both
    when given (the bytes go at start onwards). For the last chunk, end is the file's end and
    what follows the final block must be exactly the gzip trailer, which is returned.
    """
    source = Source(fd, begin, end, path)
    out, crc, ended, unused = _run(codec, RAW_WBITS, source, out_view, address, length, path,
                                   'in the chunk at segment offset %d' % start, out_fd, start)
    if out != length:
        raise IntegrityError('%s: the compressed chunk at segment offset %d holds %d bytes, expected %d'
                             % (path, start, out, length), path=path)
    if not last:
        if ended:
            raise IntegrityError('%s: the compressed stream ends early, at segment offset %d' % (path, start + out),
                                 path=path)
        return crc, b''
    if not ended:
        raise IntegrityError('%s: the compressed stream does not end where the manifest says' % path, path=path)
    after = unused + (end - source.position)
    trailer = os.pread(fd, min(after, _fileformat.GZIP_TRAILER.size + 1), end - after) if after else b''
    return crc, trailer


def inflate_stream(codec, fd, size, file_size, out_view, address, path, progress=None, out_fd=None):
    """Inflate a whole .dat.gz (C ASMT's or ours) from start to end into out_view (None only checks).

    out_fd, the segment's file, replaces out_view and address when given.

    Unlike C ASMT, the stream must end exactly at the segment size with nothing after it, and
    a gzip trailer must match the CRC of the data (docs/asmt-format.md §7, differences 4 and 5). Returns the CRC-32.
    """
    wrapper = os.pread(fd, 2, _fileformat.HEADER_SIZE)
    source = Source(fd, _fileformat.HEADER_SIZE, file_size, path)
    engine = inflater(codec, AUTO_WBITS)
    out = crc = unused = 0
    try:
        # In steps of the segment, so that progress is reported as the stream goes.
        while True:
            final = out + STREAM_STEP >= size
            stop = min(size, out + STREAM_STEP)
            view = None if out_view is None else out_view[out:stop]
            got, crc, ended, unused = inflate_into(codec, engine, source, view, None if address is None else address + out,
                                                   stop - out, path, final, crc, out_fd, out)
            out += got
            if progress is not None and got:
                progress(got)
            if final or ended or out < stop:
                break
    except (codec.error, ZlibError) as exc:
        raise IntegrityError('%s: corrupt compressed data after %d bytes (%s)' % (path, out, exc), path=path)
    finally:
        engine.close()
    if not ended:
        raise IntegrityError('%s: the compressed stream is truncated after %d of %d bytes; the file is incomplete'
                             % (path, out, size), path=path)
    if out != size:
        raise IntegrityError('%s: the compressed stream holds %d bytes, the header records %d' % (path, out, size),
                             path=path)
    member_end = source.position - unused
    if member_end != file_size:
        raise IntegrityError('%s: %d unexpected bytes after the end of the compressed stream'
                             % (path, file_size - member_end), path=path)
    if wrapper == _fileformat.GZIP_HEADER[:2]:
        _fileformat.check_trailer(os.pread(fd, _fileformat.GZIP_TRAILER.size, member_end - _fileformat.GZIP_TRAILER.size),
                                  crc, size, path)
    return crc
