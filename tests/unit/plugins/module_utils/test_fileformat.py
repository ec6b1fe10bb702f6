# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ASMT's .dat.gz format (docs/asmt-format.md §4): header, exact bytes, chunked streams, damaged files."""

from __future__ import absolute_import, division, print_function

import gzip
import os
import random
import struct
import zlib

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _codec
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat as ff
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _inflate
from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import chunk_ranges
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import IntegrityError

__metaclass__ = type

CODECS = ['zlib', pytest.param('isal', marks=pytest.mark.skipif(not _codec.HAS_ISAL, reason='isal not installed'))]

# docs/asmt-format.md §4.5, verified to restore with C ASMT.
GOLDEN_ZEROS = bytes.fromhex(
    '41 53 4d 54 01 00 00 00 00 10 00 00 00 00 00 00 11 00 1c c7 00 00 00 00'
    '1f 8b 08 00 00 00 00 00 04 03 ed d0 01 0d 00 00 00 c2 a0 f7 4f 6d 0f 07'
    '11 28 0c 18 30 60 c0 80 01 03 06 0c 18 30 60 c0 80 81 f7 81 01 11 00 1c'
    'c7 00 10 00 00')
GOLDEN_TREEX = bytes.fromhex(
    '41 53 4d 54 01 00 00 00 44 00 00 00 00 00 00 00 b9 25 cb 6e 00 00 00 00'
    '1f 8b 08 00 00 00 00 00 04 03 2b 29 4a 4d ad d0 2d 49 2d 2e d1 2d 4b 4d'
    '2e c9 2f 2a 21 5d 00 00 b9 25 cb 6e 44 00 00 00')
GOLDEN_1MIB_HEADER = bytes.fromhex('41 53 4d 54 01 00 00 00 00 00 10 00 00 00 00 00 c1 73 46 b8 00 00 00 00')

RNG = random.Random(5)
SAMPLE = bytes(RNG.choice(b'namespace test \0\0\0\0\x01\x02') for dummy in range(150000)) + os.urandom(3000)


def build(codec, data, chunk=None):
    """A .dat.gz the way the backup writer lays it out; returns (bytes, chunk offsets)."""
    ranges = chunk_ranges(len(data), chunk or len(data))
    view = memoryview(data)
    pieces, offsets, crc, position = [], [], None, ff.STREAM_START
    for index, (start, length) in enumerate(ranges):
        body, part = ff.deflate_pieces(codec, view[start:start + length], index == len(ranges) - 1)
        body = b''.join(body)
        offsets.append(position)
        position += len(body)
        pieces.append(body)
        crc = part if crc is None else codec.crc32_combine(crc, part, length)
    return ff.pack_header(len(data), crc) + ff.GZIP_HEADER + b''.join(pieces) + ff.gzip_trailer(crc, len(data)), offsets


@pytest.fixture
def open_bytes(tmp_path):
    """Write bytes to a file and return an open read-only fd; all are closed afterwards."""
    fds = []

    def opener(content, name='x.dat.gz'):
        path = tmp_path / name
        path.write_bytes(content)
        fd = os.open(str(path), os.O_RDONLY)
        fds.append(fd)
        return fd
    yield opener
    for fd in fds:
        os.close(fd)


def inflate_file(codec, fd, size, file_size):
    """The restore's start-to-end reader (C ASMT's files) into memory: (bytes, CRC-32)."""
    out = bytearray(size)
    crc = _inflate.inflate_stream(codec, fd, size, file_size, memoryview(out), None, 'x.dat.gz')
    return bytes(out), crc


# ---------------------------------------------------------------------------------------------- header

def test_header_layout():
    assert ff.HEADER_SIZE == 24
    assert ff.pack_header(4096, 0xC71C0011) == GOLDEN_ZEROS[:24]
    assert ff.pack_header(1 << 20, 0xB84673C1) == GOLDEN_1MIB_HEADER
    # the CRC fills only the low half of its 64-bit field
    assert ff.pack_header(1, 0x1DEADBEEF)[16:] == b'\xef\xbe\xad\xde\0\0\0\0'


@pytest.mark.parametrize('raw, size, crc', [
    (GOLDEN_ZEROS[:24], 4096, 0xC71C0011),
    (GOLDEN_TREEX[:24], 68, 0x6ECB25B9),
    (GOLDEN_1MIB_HEADER, 1 << 20, 0xB84673C1),
    (struct.pack('<IIQQ', ff.MAGIC_SWAPPED, 1, 5, 7), 5, 7),                   # "TMSA", 2020-era writers
    (struct.pack('<IIQQ', ff.MAGIC, 1, (5 << 30) + 1, 0xFFFFFFFF00000009), (5 << 30) + 1, 9),
    (GOLDEN_ZEROS, 4096, 0xC71C0011),                                          # more than 24 bytes given
])
def test_parse_header(raw, size, crc):
    header = ff.parse_header(raw)
    assert (header.version, header.segment_size, header.crc32) == (1, size, crc)
    assert header.magic in (ff.MAGIC, ff.MAGIC_SWAPPED)


@pytest.mark.parametrize('raw, message', [
    (b'XXXX' + GOLDEN_ZEROS[4:24], r'f\.dat\.gz: not an ASMT compressed file \(magic bytes 58585858\)'),
    (b'asmt' + GOLDEN_ZEROS[4:24], 'not an ASMT compressed file'),
    (struct.pack('<IIQQ', ff.MAGIC, 2, 1, 0), r'unsupported ASMT file version 2 \(expected 1\)'),
    (struct.pack('<IIQQ', ff.MAGIC, 0, 1, 0), 'unsupported ASMT file version 0'),
    (struct.pack('<IIQQ', ff.MAGIC, 1, 0, 0), 'segment size of 0'),
    (GOLDEN_ZEROS[:23], r'too short for an ASMT header \(23 of 24 bytes\)'),
    (b'', r'\(0 of 24 bytes\)'),
])
def test_parse_header_rejects(raw, message):
    with pytest.raises(IntegrityError, match=message) as caught:
        ff.parse_header(raw, 'f.dat.gz')
    assert caught.value.facts['path'] == 'f.dat.gz'


def test_read_header_reads_the_first_24_bytes(open_bytes):
    header = ff.read_header(open_bytes(GOLDEN_TREEX), 'x')
    assert (header.segment_size, header.crc32) == (68, 0x6ECB25B9)


def test_gzip_trailer_keeps_size_modulo_4_gib():
    assert ff.gzip_trailer(0x1CC71C0011, 4096) == b'\x11\x00\x1c\xc7\x00\x10\x00\x00'
    assert ff.gzip_trailer(1, (1 << 32) + 5) == struct.pack('<II', 1, 5)


# ----------------------------------------------------------------------------------- exact bytes

@pytest.mark.parametrize('data, golden', [(bytes(4096), GOLDEN_ZEROS), (b'treex-test-vector' * 4, GOLDEN_TREEX)],
                         ids=['4096-zeros', 'treex-vector'])
def test_golden_bytes_with_zlib(data, golden):
    # With the zlib codec our writer produces C ASMT's file byte for byte (docs/asmt-format.md §4.5).
    produced, dummy = build(_codec.get_codec('zlib'), data)
    assert produced == golden
    assert gzip.decompress(golden[24:]) == data


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('data, golden', [(bytes(4096), GOLDEN_ZEROS), (b'treex-test-vector' * 4, GOLDEN_TREEX)],
                         ids=['4096-zeros', 'treex-vector'])
def test_golden_files_inflate(open_bytes, name, data, golden):
    codec = _codec.get_codec(name)
    out, crc = inflate_file(codec, open_bytes(golden), len(data), len(golden))
    assert out == data
    assert crc == zlib.crc32(data)


# ---------------------------------------------------------------------------------- round trips

@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('chunk', [1000, 4096, 12345, 65536, 10 ** 6])
def test_chunked_stream_is_one_gzip_member(open_bytes, name, chunk):
    codec = _codec.get_codec(name)
    content, offsets = build(codec, SAMPLE, chunk)
    assert len(offsets) == len(chunk_ranges(len(SAMPLE), chunk))
    assert offsets[0] == ff.STREAM_START == 34
    # plain gzip readers see one member ...
    assert gzip.decompress(content[24:]) == SAMPLE
    assert zlib.decompress(content[24:], 31) == SAMPLE
    # ... and so does the start-to-end reader used for C ASMT's files
    out, crc = inflate_file(codec, open_bytes(content), len(SAMPLE), len(content))
    assert out == SAMPLE
    assert crc == zlib.crc32(SAMPLE) == ff.parse_header(content).crc32


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('chunk', [4096, 12345, 65536])
def test_chunks_inflate_independently(open_bytes, name, chunk):
    codec = _codec.get_codec(name)
    content, offsets = build(codec, SAMPLE, chunk)
    fd = open_bytes(content)
    ranges = chunk_ranges(len(SAMPLE), chunk)
    out = bytearray(len(SAMPLE))
    crc, rest = None, None
    # in reverse order, as threads may finish them
    for index in reversed(range(len(ranges))):
        start, length = ranges[index]
        last = index == len(ranges) - 1
        end = len(content) if last else offsets[index + 1]
        part, tail = _inflate.inflate_chunk(codec, fd, offsets[index], end, memoryview(out)[start:start + length], None,
                                            start, length, last, 'x.dat.gz')
        assert part == zlib.crc32(SAMPLE[start:start + length])
        if last:
            rest = tail
        else:
            assert tail == b''
    for index, (start, length) in enumerate(ranges):
        part = zlib.crc32(SAMPLE[start:start + length])
        crc = part if index == 0 else codec.crc32_combine(crc, part, length)
    assert bytes(out) == SAMPLE
    assert rest == content[-8:]
    ff.check_trailer(rest, crc, len(SAMPLE))


@pytest.mark.parametrize('name', CODECS)
def test_small_io_slices(monkeypatch, open_bytes, name):
    # Slicing inside deflate_pieces and the read/inflate loops, exercised without megabytes of data.
    monkeypatch.setattr(ff, 'DEFLATE_SLICE', 999)
    monkeypatch.setattr(_inflate, 'FEED_SLICE', 999)
    monkeypatch.setattr(_inflate, 'OUT_SLICE', 999)
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE, 40000)
    assert gzip.decompress(content[24:]) == SAMPLE
    out, crc = inflate_file(codec, open_bytes(content), len(SAMPLE), len(content))
    assert out == SAMPLE and crc == zlib.crc32(SAMPLE)


@pytest.mark.parametrize('name', CODECS)
def test_larger_than_one_io_slice(open_bytes, name):
    codec = _codec.get_codec(name)
    data = SAMPLE * 60                                    # about 9 MiB: several 4 MiB slices
    content, dummy = build(codec, data, 3 << 20)
    out, crc = inflate_file(codec, open_bytes(content), len(data), len(content))
    assert out == data and crc == zlib.crc32(data)


def test_progress_reports_every_byte(monkeypatch, open_bytes):
    # Progress is reported every STREAM_STEP bytes of the segment.
    monkeypatch.setattr(_inflate, 'STREAM_STEP', 64 << 10)
    codec = _codec.get_codec('zlib')
    data = SAMPLE * 40
    content, dummy = build(codec, data, 1 << 20)
    seen = []
    _inflate.inflate_stream(codec, open_bytes(content), len(data), len(content), None, None, 'x', progress=seen.append)
    assert sum(seen) == len(data)
    assert len(seen) > 1


def test_without_sink_only_checks(open_bytes):
    codec = _codec.get_codec('zlib')
    content, dummy = build(codec, SAMPLE)
    assert _inflate.inflate_stream(codec, open_bytes(content), len(SAMPLE), len(content), None, None, 'x') == zlib.crc32(SAMPLE)


# -------------------------------------------------------------------------------- damaged files

def _expect_error(codec, fd, size, file_size, match):
    with pytest.raises(IntegrityError, match=match) as caught:
        inflate_file(codec, fd, size, file_size)
    assert caught.value.facts['path'] == 'x.dat.gz'
    return caught.value


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('cut', [24, 27, 34, 200, 'middle', -9, -8, -4, -1])
def test_truncated_stream_fails(open_bytes, name, cut):
    # C ASMT restores a truncated file with a zero tail and success (docs/asmt-format.md §7, difference 4); we refuse.
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE, 50000)
    end = len(content) // 2 if cut == 'middle' else cut
    damaged = content[:end]
    _expect_error(codec, open_bytes(damaged), len(SAMPLE), len(damaged), 'truncated|corrupt compressed data')


@pytest.mark.parametrize('name', CODECS)
def test_truncated_in_the_middle_says_so(open_bytes, name):
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE, 50000)
    damaged = content[:len(content) // 2]
    _expect_error(codec, open_bytes(damaged), len(SAMPLE), len(damaged),
                  r'x\.dat\.gz: the compressed stream is truncated after \d+ of %d bytes; the file is incomplete'
                  % len(SAMPLE))


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('extra', [b'\0', b'\0' * 8, b'garbage!' * 1000, 'member'])
def test_trailing_bytes_fail(open_bytes, name, extra):
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE, 50000)
    if extra == 'member':
        extra = gzip.compress(b'second member')
    damaged = content + extra
    _expect_error(codec, open_bytes(damaged), len(SAMPLE), len(damaged),
                  r'x\.dat\.gz: %d unexpected bytes after the end of the compressed stream' % len(extra))


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('offset', [-8, -5, -4, -1], ids=['crc-low', 'crc-high', 'isize-low', 'isize-high'])
def test_wrong_trailer_fails(open_bytes, name, offset):
    # zlib and isal check gzip's trailer themselves when the wrapper is gzip (docs/asmt-format.md §4.3).
    codec = _codec.get_codec(name)
    content = bytearray(build(codec, SAMPLE, 50000)[0])
    content[offset] ^= 0x40
    error = _expect_error(codec, open_bytes(bytes(content)), len(SAMPLE), len(content),
                          r'x\.dat\.gz: corrupt compressed data after \d+ bytes \(.*(check|checksum)')
    assert error.facts == {'path': 'x.dat.gz'}


@pytest.mark.parametrize('name', CODECS)
def test_corrupt_body_fails(open_bytes, name):
    codec = _codec.get_codec(name)
    content = bytearray(build(codec, SAMPLE, 50000)[0])
    content[len(content) // 2] ^= 0xFF
    content[len(content) // 2 + 1] ^= 0xFF
    _expect_error(codec, open_bytes(bytes(content)), len(SAMPLE), len(content), 'corrupt compressed data|trailer|holds')


@pytest.mark.parametrize('name', CODECS)
def test_stream_longer_than_the_segment_fails(open_bytes, name):
    # C would write past the end of the segment (docs/asmt-format.md §4.3).
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE)
    _expect_error(codec, open_bytes(content), len(SAMPLE) - 1, len(content),
                  'holds more than the %d bytes of its segment' % (len(SAMPLE) - 1))


@pytest.mark.parametrize('name', CODECS)
def test_stream_shorter_than_the_segment_fails(open_bytes, name):
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE)
    _expect_error(codec, open_bytes(content), len(SAMPLE) + 1, len(content),
                  'the compressed stream holds %d bytes, the header records %d' % (len(SAMPLE), len(SAMPLE) + 1))


@pytest.mark.parametrize('name', CODECS)
def test_zlib_body_instead_of_gzip_is_read(open_bytes, name):
    # C ASMT inflates with windowBits 47 and accepts a zlib wrapper (docs/asmt-format.md §4.3); the CRC we
    # return is still CRC-32 of the data, not zlib's Adler-32.
    codec = _codec.get_codec(name)
    content = ff.pack_header(len(SAMPLE), zlib.crc32(SAMPLE)) + zlib.compress(SAMPLE, 1)
    out, crc = inflate_file(codec, open_bytes(content), len(SAMPLE), len(content))
    assert out == SAMPLE
    assert crc == zlib.crc32(SAMPLE) != zlib.adler32(SAMPLE)


@pytest.mark.parametrize('name', CODECS)
def test_zlib_body_with_wrong_adler_fails(open_bytes, name):
    codec = _codec.get_codec(name)
    content = bytearray(ff.pack_header(len(SAMPLE), 0) + zlib.compress(SAMPLE, 1))
    content[-1] ^= 1
    _expect_error(codec, open_bytes(bytes(content)), len(SAMPLE), len(content), 'corrupt compressed data')


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('header_crc', [0, 0xDEADBEEF])
def test_header_crc_field_is_not_used_by_the_stream_reader(open_bytes, name, header_crc):
    # C ASMT never reads it (docs/asmt-format.md §4.1): the gzip trailer decides.
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE)
    content = ff.pack_header(len(SAMPLE), header_crc) + content[24:]
    out, crc = inflate_file(codec, open_bytes(content), len(SAMPLE), len(content))
    assert out == SAMPLE and crc == zlib.crc32(SAMPLE)
    assert ff.parse_header(content).crc32 == header_crc


# ------------------------------------------------------------------------------- chunk errors

def test_inflate_chunk_rejects_wrong_lengths_and_ends(open_bytes):
    codec = _codec.get_codec('zlib')
    content, offsets = build(codec, SAMPLE, 50000)
    fd = open_bytes(content)

    def chunk(begin, end, start, length, last):
        return _inflate.inflate_chunk(codec, fd, begin, end, None, None, start, length, last, 'p')
    with pytest.raises(IntegrityError, match='holds 50000 bytes, expected 50001'):
        chunk(offsets[0], offsets[1], 0, 50001, False)
    with pytest.raises(IntegrityError, match='more than the 49999 bytes'):
        chunk(offsets[0], offsets[1], 0, 49999, False)
    with pytest.raises(IntegrityError, match='does not end where the manifest says'):
        chunk(offsets[0], offsets[1], 0, 50000, True)
    start = 50000 * (len(offsets) - 1)
    with pytest.raises(IntegrityError, match='ends early, at segment offset %d' % len(SAMPLE)):
        chunk(offsets[-1], len(content), start, len(SAMPLE) - start, False)
    damaged = open_bytes(b'\xff' * 100, 'damaged.dat.gz')
    with pytest.raises(IntegrityError, match='corrupt compressed data in the chunk at segment offset 50000'):
        _inflate.inflate_chunk(codec, damaged, 0, 100, None, None, 50000, 50000, False, 'p')


@pytest.mark.parametrize('trailer, match', [
    (b'', r'p: the gzip trailer is missing or cut short \(0 of 8 bytes\); the file is truncated'),
    (b'\x01\x02\x03', r'cut short \(3 of 8 bytes\)'),
    ('good+extra', r'p: 5 unexpected bytes after the end of the compressed stream'),
    ('bad-crc', r'p: the gzip trailer \(CRC 0x[0-9a-f]{8}, size 153000\) does not match the data \(CRC 0x[0-9a-f]{8}'),
    ('bad-size', r'size 153001\) does not match the data \(CRC 0x[0-9a-f]{8}, size 153000\)'),
])
def test_check_trailer(trailer, match):
    crc, size = zlib.crc32(SAMPLE), len(SAMPLE)
    trailer = {'good+extra': ff.gzip_trailer(crc, size) + b'extra',
               'bad-crc': ff.gzip_trailer(crc ^ 1, size),
               'bad-size': ff.gzip_trailer(crc, size + 1)}.get(trailer, trailer)
    with pytest.raises(IntegrityError, match=match):
        ff.check_trailer(trailer, crc, size, 'p')


def test_check_trailer_accepts_size_modulo_4_gib():
    ff.check_trailer(ff.gzip_trailer(7, 5), 7, (1 << 32) + 5)


# -------------------------------------------------------------------------------------- peek

@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('chunk', [16, 1000, None])
def test_peek_reads_the_start(open_bytes, name, chunk):
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE[:5000], chunk)
    assert ff.peek(codec, open_bytes(content), 44) == SAMPLE[:44]
    assert ff.peek(codec, open_bytes(content, 'y'), 1) == SAMPLE[:1]


@pytest.mark.parametrize('name', CODECS)
def test_peek_needs_only_the_start(open_bytes, name):
    # A stripe's name is read without inflating (or even having) the rest of the stream.
    codec = _codec.get_codec(name)
    content, dummy = build(codec, SAMPLE)
    assert ff.peek(codec, open_bytes(content[:300]), 44) == SAMPLE[:44]
    damaged = content[:300] + b'\xff' * 5000
    assert ff.peek(codec, open_bytes(damaged, 'z'), 44) == SAMPLE[:44]


@pytest.mark.parametrize('name', CODECS)
def test_peek_of_a_short_stream_returns_what_there_is(open_bytes, name):
    codec = _codec.get_codec(name)
    content, dummy = build(codec, b'short')
    assert ff.peek(codec, open_bytes(content), 44) == b'short'
    assert ff.peek(codec, open_bytes(content[:24], 'h'), 44) == b''


@pytest.mark.parametrize('name', CODECS)
def test_peek_zlib_body(open_bytes, name):
    codec = _codec.get_codec(name)
    content = ff.pack_header(len(SAMPLE), 0) + zlib.compress(SAMPLE, 1)
    assert ff.peek(codec, open_bytes(content), 44) == SAMPLE[:44]


@pytest.mark.parametrize('name', CODECS)
def test_peek_of_garbage_fails(open_bytes, name):
    codec = _codec.get_codec(name)
    with pytest.raises(IntegrityError, match='p: corrupt compressed data at its start'):
        ff.peek(codec, open_bytes(GOLDEN_ZEROS[:24] + b'\x00\x01garbage' * 10), 44, 'p')
