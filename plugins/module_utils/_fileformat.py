# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""ASMT's compressed file format (docs/asmt-format.md §4) and the streams inside it.

A .dat.gz file is a 24-byte little-endian header (magic, version 1, segment size, CRC-32)
followed by one gzip member. We write that member as a series of chunks, each deflated on
its own and ended with a full flush, the last one with the final block. Concatenated, they
are one ordinary gzip member that C ASMT, gzip and zlib read from start to end; the chunk
offsets, kept in our manifest, let us deflate and inflate the chunks in parallel.
"""

from __future__ import absolute_import, division, print_function

import collections
import os
import struct

from ansible_collections.fastrestart.aerospike.plugins.module_utils._codec import (
    AUTO_WBITS,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
)

__metaclass__ = type

HEADER = struct.Struct('<IIQQ')
HEADER_SIZE = HEADER.size
MAGIC = 0x544D5341          # bytes 41 53 4d 54, "ASMT"
MAGIC_SWAPPED = 0x41534D54  # bytes 54 4d 53 41, "TMSA", written by 2020-era ASMT
FORMAT_VERSION = 1

# What zlib emits for a level-1 gzip stream: no name, mtime 0, XFL 4 (fastest), OS 3 (Unix).
GZIP_HEADER = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\x03'
GZIP_TRAILER = struct.Struct('<II')
# Where our writer's first deflate chunk starts.
STREAM_START = HEADER_SIZE + len(GZIP_HEADER)

# Input handed to deflate at a time: it and its output stay in the CPU cache.
DEFLATE_SLICE = 1 << 20

AsmtHeader = collections.namedtuple('AsmtHeader', 'magic version segment_size crc32')


def pack_header(segment_size, crc):
    """The 24-byte header; the CRC sits in the low half of the 64-bit field."""
    return HEADER.pack(MAGIC, FORMAT_VERSION, segment_size, crc & 0xFFFFFFFF)


def parse_header(buf, path='file'):
    """Decode and check a header; raise IntegrityError naming what is wrong."""
    if len(buf) < HEADER_SIZE:
        raise IntegrityError('%s: too short for an ASMT header (%d of %d bytes)' % (path, len(buf), HEADER_SIZE),
                             path=path)
    header = AsmtHeader(*HEADER.unpack_from(buf, 0))
    if header.magic not in (MAGIC, MAGIC_SWAPPED):
        raise IntegrityError('%s: not an ASMT compressed file (magic bytes %s)' % (path, bytes(buf[:4]).hex()),
                             path=path)
    if header.version != FORMAT_VERSION:
        raise IntegrityError('%s: unsupported ASMT file version %d (expected %d)' % (path, header.version, FORMAT_VERSION),
                             path=path)
    if header.segment_size == 0:
        raise IntegrityError('%s: header records a segment size of 0' % path, path=path)
    return header._replace(crc32=header.crc32 & 0xFFFFFFFF)


# RFC 1952: ID1, ID2, CM 8 (deflate); FLG bits 5-7 are reserved and must be zero.
GZIP_ID = b'\x1f\x8b'
DEFLATE = 8
GZIP_RESERVED_FLAGS = 0xE0
# Deflate cannot expand its input more than 1032 times (a run of one repeated byte).
MAX_DEFLATE_RATIO = 1032
STREAM_SLACK = 1 << 10


def check_wrapper(buf, path='file'):
    """Check the stream's own header (gzip, or zlib from older ASMT) whatever codec reads it.

    zlib rejects reserved gzip flags and isal does not; RFC 1952 requires the rejection, so
    it is made here, once, before any codec sees the stream.
    """
    if len(buf) < 2:
        raise IntegrityError('%s: the compressed stream is missing after the ASMT header; the file is truncated' % path,
                             path=path)
    if bytes(buf[:2]) == GZIP_ID:
        if len(buf) < 10:
            raise IntegrityError('%s: the gzip header is cut short; the file is truncated' % path, path=path)
        if buf[2] != DEFLATE:
            raise IntegrityError('%s: the gzip header names compression method %d, not deflate (8); the file is damaged'
                                 % (path, buf[2]), path=path)
        if buf[3] & GZIP_RESERVED_FLAGS:
            raise IntegrityError('%s: the gzip header sets reserved flag bits (FLG 0x%02x); the file is damaged'
                                 % (path, buf[3]), path=path)
        return 'gzip'
    cmf, flg = buf[0], buf[1]
    if cmf & 0x0F == DEFLATE and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0 and not flg & 0x20:
        return 'zlib'
    raise IntegrityError('%s: no gzip or zlib stream after the ASMT header (bytes %s); the file is damaged'
                         % (path, bytes(buf[:2]).hex()), path=path)


def check_size(header, file_size, path='file'):
    """A segment size that its compressed stream could not hold is a damaged header, not a big segment."""
    most = max(0, file_size - HEADER_SIZE) * MAX_DEFLATE_RATIO + STREAM_SLACK
    if header.segment_size > most:
        raise IntegrityError('%s: the header records a segment of %d bytes, more than its %d bytes of compressed data '
                             'can hold; the header is damaged: restore from another backup'
                             % (path, header.segment_size, file_size), path=path)


def read_header(fd, path='file'):
    """The ASMT header, checked, and the stream header after it; a damaged one raises IntegrityError."""
    buf = os.pread(fd, HEADER_SIZE + len(GZIP_HEADER), 0)
    header = parse_header(buf, path)
    check_wrapper(buf[HEADER_SIZE:], path)
    check_size(header, os.fstat(fd).st_size, path)
    return header


def gzip_trailer(crc, size):
    """gzip's own trailer: CRC-32 and the size modulo 2**32."""
    return GZIP_TRAILER.pack(crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def deflate_pieces(codec, view, last):
    """Deflate one chunk of a segment as a self-contained piece of the member.

    A fresh compressor per chunk keeps chunks independent; the full flush ends each on a
    byte boundary, so the pieces concatenate into one valid stream. The output stays in
    pieces (joining them would copy each chunk once more), and slices of DEFLATE_SLICE keep
    the input and output of each call in the CPU cache. Returns (pieces, CRC-32 of the input).
    """
    compressor = codec.raw_compressor()
    pieces = []
    crc = 0
    for start in range(0, len(view), DEFLATE_SLICE):
        piece = view[start:start + DEFLATE_SLICE]
        crc = codec.crc32(piece, crc)
        out = compressor.compress(piece)
        if out:
            pieces.append(out)
    pieces.append(compressor.flush(codec.finish if last else codec.full_flush))
    return pieces, crc


def check_trailer(trailer, crc, size, path='file'):
    """Compare gzip's own trailer with the CRC and size of what was inflated."""
    if len(trailer) < GZIP_TRAILER.size:
        raise IntegrityError('%s: the gzip trailer is missing or cut short (%d of %d bytes); the file is truncated'
                             % (path, len(trailer), GZIP_TRAILER.size), path=path)
    if len(trailer) > GZIP_TRAILER.size:
        raise IntegrityError('%s: %d unexpected bytes after the end of the compressed stream'
                             % (path, len(trailer) - GZIP_TRAILER.size), path=path)
    stored_crc, stored_size = GZIP_TRAILER.unpack(trailer)
    if stored_crc != crc & 0xFFFFFFFF or stored_size != size & 0xFFFFFFFF:
        raise IntegrityError('%s: the gzip trailer (CRC 0x%08x, size %d) does not match the data (CRC 0x%08x, size %d)'
                             % (path, stored_crc, stored_size, crc & 0xFFFFFFFF, size & 0xFFFFFFFF), path=path)


def peek(codec, fd, length, path='file'):
    """The first length bytes of a compressed file's segment, inflating only what is needed.

    Data stripes are matched to a namespace by the name at offset 12, so a .dat.gz stripe's
    first 44 bytes must be read without inflating the whole stream.
    """
    decompressor = codec.decompressor(AUTO_WBITS)
    pos = HEADER_SIZE
    out = b''
    try:
        while len(out) < length and not decompressor.eof:
            data = os.pread(fd, 64 << 10, pos)
            if not data:
                break
            pos += len(data)
            while data and len(out) < length and not decompressor.eof:
                out += decompressor.decompress(data, length - len(out))
                data = decompressor.unconsumed_tail
    except codec.error as exc:
        raise IntegrityError('%s: corrupt compressed data at its start (%s)' % (path, exc), path=path)
    return out
