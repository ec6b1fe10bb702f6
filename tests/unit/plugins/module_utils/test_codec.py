# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CRC-32 and deflate with isal and with the zlib fallback."""

from __future__ import absolute_import, division, print_function

import os
import random
import zlib

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _codec

__metaclass__ = type

CODECS = ['zlib', pytest.param('isal', marks=pytest.mark.skipif(not _codec.HAS_ISAL, reason='isal not installed'))]

RNG = random.Random(20260101)
# Compressible but not trivial, so deflate really works.
SAMPLE = bytes(RNG.choice(b'aerospike index \0\0\0\0') for dummy in range(200000)) + os.urandom(5000)


def test_auto_prefers_isal():
    codec = _codec.get_codec('auto')
    assert codec.name == ('isal' if _codec.HAS_ISAL else 'zlib')
    assert _codec.get_codec(None).name == codec.name
    assert _codec.get_codec('zlib').module is zlib


def test_unknown_codec_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown codec 'lz4': choose one of auto, isal, zlib"):
        _codec.get_codec('lz4')


def test_isal_missing_falls_back_in_auto(monkeypatch):
    monkeypatch.setattr(_codec, 'HAS_ISAL', False)
    monkeypatch.setattr(_codec, 'ISAL_IMPORT_ERROR', 'ImportError: No module named isal')
    assert _codec.get_codec('auto').name == 'zlib'
    with pytest.raises(ValueError, match='isal is not importable: ImportError'):
        _codec.get_codec('isal')


@pytest.mark.parametrize('name', CODECS)
def test_crc32_is_standard(name):
    codec = _codec.get_codec(name)
    for data in (b'', b'a', bytes(4096), SAMPLE):
        assert codec.crc32(data) == zlib.crc32(data)
        assert codec.crc32(memoryview(data)[7:], codec.crc32(data[:7])) == zlib.crc32(data)
    assert codec.crc32(bytes(4096)) == 0xC71C0011          # docs/asmt-format.md §4.5
    assert codec.crc32(b'treex-test-vector' * 4) == 0x6ECB25B9


SPLITS = [(0, 0), (0, 1), (1, 0), (0, 17), (17, 0), (1, 1), (3, 5), (4096, 4096), (12345, 98765),
          (65536, 1 << 20), (1, (1 << 20) + 3), ((4 << 20) + 1, 7)]


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('len1, len2', SPLITS)
def test_crc32_combine_equals_crc_of_concatenation(name, len1, len2):
    codec = _codec.get_codec(name)
    first, second = os.urandom(len1), os.urandom(len2)
    whole = zlib.crc32(first + second)
    assert codec.crc32_combine(zlib.crc32(first), zlib.crc32(second), len2) == whole
    # the pure-Python fallback itself, whichever codec is in use
    assert _codec.crc32_combine(zlib.crc32(first), zlib.crc32(second), len2) == whole


def test_crc32_combine_of_many_chunks_like_the_engine():
    chunks = [SAMPLE[i:i + 7777] for i in range(0, len(SAMPLE), 7777)]
    crc = zlib.crc32(chunks[0])
    for chunk in chunks[1:]:
        crc = _codec.crc32_combine(crc, zlib.crc32(chunk), len(chunk))
    assert crc == zlib.crc32(SAMPLE)


def test_crc32_combine_of_zeros_at_large_lengths():
    # CRC of n zero bytes, built by doubling with combine, must equal zlib's for the sizes we can hash.
    zero_crc = {1: zlib.crc32(b'\0')}
    n = 1
    while n < 1 << 24:
        zero_crc[2 * n] = _codec.crc32_combine(zero_crc[n], zero_crc[n], n)
        n *= 2
    assert zero_crc[1 << 24] == zlib.crc32(bytes(1 << 24))
    assert zero_crc[1 << 12] == 0xC71C0011


@pytest.mark.parametrize('len2', [(1 << 32) - 1, 1 << 32, (1 << 32) + 4096, 5 << 30, (1 << 40) + 12345, (1 << 62) + 1])
def test_crc32_combine_beyond_4_gib(len2):
    # Segments of 4 GiB and more are where C ASMT truncates (docs/asmt-format.md §4.6): lengths must not wrap.
    crc1, crc2 = zlib.crc32(b'head'), 0x12345678
    ours = _codec.crc32_combine(crc1, crc2, len2)
    if _codec.HAS_ISAL:
        assert ours == _codec.isal_zlib.crc32_combine(crc1, crc2, len2)
    # a length that wraps at 2**32 would give the CRC of a different, shorter concatenation
    if len2 >= 1 << 32:
        assert ours != _codec.crc32_combine(crc1, crc2, len2 & 0xFFFFFFFF)
    # associativity: (A+B)+C == A+(B+C) with B and C this long
    a, b, c = 0x1111, 0x2222, 0x3333
    left = _codec.crc32_combine(_codec.crc32_combine(a, b, len2), c, len2 + 1)
    right = _codec.crc32_combine(a, _codec.crc32_combine(b, c, len2 + 1), 2 * len2 + 1)
    assert left == right


def test_crc32_combine_with_zero_length_returns_first():
    assert _codec.crc32_combine(0xDEADBEEF, 0, 0) == 0xDEADBEEF
    assert _codec.crc32_combine(0xDEADBEEF, 0, -5) == 0xDEADBEEF


@pytest.mark.parametrize('writer', CODECS)
@pytest.mark.parametrize('reader', CODECS)
def test_raw_deflate_round_trip_across_codecs(writer, reader):
    compressor = _codec.get_codec(writer).raw_compressor()
    body = compressor.compress(SAMPLE) + compressor.flush(zlib.Z_FINISH)
    assert len(body) < len(SAMPLE) * 0.6
    decompressor = _codec.get_codec(reader).decompressor(_codec.RAW_WBITS)
    assert decompressor.decompress(body) == SAMPLE
    assert decompressor.eof


def test_zlib_raw_compressor_is_level_1_memlevel_9():
    # The parameters of docs/asmt-format.md §4.2; they make our bytes identical to C ASMT's.
    compressor = _codec.get_codec('zlib').raw_compressor()
    reference = zlib.compressobj(1, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY)
    assert compressor.compress(SAMPLE) + compressor.flush() == reference.compress(SAMPLE) + reference.flush()


@pytest.mark.parametrize('name', CODECS)
@pytest.mark.parametrize('wbits', [31, 15], ids=['gzip', 'zlib'])
def test_auto_decompressor_reads_gzip_and_zlib_wrappers(name, wbits):
    # C ASMT's reader uses windowBits 47 and so accepts either wrapper (docs/asmt-format.md §4.3).
    wrapped = zlib.compressobj(1, zlib.DEFLATED, wbits)
    stream = wrapped.compress(SAMPLE) + wrapped.flush()
    decompressor = _codec.get_codec(name).decompressor()
    assert decompressor.decompress(stream) == SAMPLE
    assert decompressor.eof


@pytest.mark.parametrize('name', CODECS)
def test_auto_decompressor_checks_the_gzip_trailer(name):
    wrapped = zlib.compressobj(1, zlib.DEFLATED, 31)
    stream = bytearray(wrapped.compress(SAMPLE) + wrapped.flush())
    stream[-8] ^= 0x01
    codec = _codec.get_codec(name)
    with pytest.raises(codec.error):
        codec.decompressor().decompress(bytes(stream))


@pytest.mark.parametrize('name', CODECS)
def test_full_flush_pieces_concatenate(name):
    # Independent compressors ended by a full flush join into one stream; the writer relies on it.
    codec = _codec.get_codec(name)
    pieces = []
    for start in range(0, len(SAMPLE), 50000):
        compressor = codec.raw_compressor()
        last = start + 50000 >= len(SAMPLE)
        pieces.append(compressor.compress(SAMPLE[start:start + 50000]) +
                      compressor.flush(codec.finish if last else codec.full_flush))
    assert zlib.decompressobj(-15).decompress(b''.join(pieces)) == SAMPLE


def test_repr():
    assert repr(_codec.get_codec('zlib')) == "Codec('zlib')"
