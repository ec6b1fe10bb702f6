# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inflate into memory with each of the three inflaters: isal, libz by ctypes, the zlib module."""

from __future__ import absolute_import, division, print_function

import os
import random
import zlib

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _codec
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat as ff
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _inflate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _zlib_ctypes
from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import chunk_ranges
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import IntegrityError

__metaclass__ = type

ENGINES = [
    pytest.param('isal', marks=pytest.mark.skipif(not _codec.HAS_ISAL, reason='isal not installed')),
    pytest.param('zlib-ctypes', marks=pytest.mark.skipif(_zlib_ctypes.load() is None, reason='libz does not load')),
    'zlib-module',
]

RNG = random.Random(20260613)
# Index-like: random digests between fixed fields, plus a run of zeros that inflates 1000-fold.
DATA = b''.join(bytes(RNG.getrandbits(8) for dummy in range(20)) + b'\x01\x00' * 22 for dummy in range(3000)) \
    + bytes(300000) + os.urandom(9000)
CHUNK = 65536


def codec_for(engine):
    if engine == 'isal':
        return _codec.get_codec('isal')
    codec = _codec.get_codec('zlib', native=engine == 'zlib-ctypes')
    assert (codec.native is not None) == (engine == 'zlib-ctypes')
    return codec


@pytest.fixture(autouse=True)
def small_slices(monkeypatch):
    """Slices far smaller than a chunk, so that every loop of the inflaters turns many times."""
    monkeypatch.setattr(_inflate, 'FEED_SLICE', 1000)
    monkeypatch.setattr(_inflate, 'OUT_SLICE', 7000)
    monkeypatch.setattr(_inflate, 'READ_AHEAD', 5000)
    monkeypatch.setattr(_inflate, 'STREAM_STEP', 50000)


def chunked_file(path, data, codec):
    """A .dat.gz as our backup writes it: (path, chunk offsets)."""
    body = []
    offsets = []
    position = ff.STREAM_START
    ranges = chunk_ranges(len(data), CHUNK)
    for index, (start, length) in enumerate(ranges):
        pieces, dummy = ff.deflate_pieces(codec, memoryview(data)[start:start + length], index == len(ranges) - 1)
        offsets.append(position)
        body.append(b''.join(pieces))
        position += len(body[-1])
    crc = zlib.crc32(data)
    with open(path, 'wb') as handle:
        handle.write(ff.pack_header(len(data), crc) + ff.GZIP_HEADER + b''.join(body) + ff.gzip_trailer(crc, len(data)))
    return offsets


def c_style_file(path, data, extra=b''):
    """One gzip member from start to end, as C ASMT writes it, then extra bytes."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31, 9)
    with open(path, 'wb') as handle:
        handle.write(ff.pack_header(len(data), zlib.crc32(data)) + compressor.compress(data) + compressor.flush() + extra)


def inflate_chunks(codec, path, offsets, size, target):
    fd = os.open(path, os.O_RDONLY)
    try:
        file_size = os.fstat(fd).st_size
        crcs = []
        trailer = None
        ranges = chunk_ranges(size, CHUNK)
        for index, (start, length) in enumerate(ranges):
            last = index == len(ranges) - 1
            end = file_size if last else offsets[index + 1]
            view = address = None
            if target is not None:
                view = memoryview(target)[start:start + length]
                address = _zlib_ctypes.address_of(view)
            crc, trailer = _inflate.inflate_chunk(codec, fd, offsets[index], end, view, address, start, length, last,
                                                  str(path))
            crcs.append(crc)
        return crcs, trailer
    finally:
        os.close(fd)


@pytest.mark.parametrize('engine', ENGINES)
def test_chunks_inflate_in_place_with_their_crcs(tmp_path, engine):
    codec = codec_for(engine)
    path = str(tmp_path / 'ae001100.dat.gz')
    offsets = chunked_file(path, DATA, codec)
    target = bytearray(len(DATA))
    crcs, trailer = inflate_chunks(codec, path, offsets, len(DATA), target)
    assert bytes(target) == DATA
    assert crcs == [zlib.crc32(DATA[s:s + n]) for s, n in chunk_ranges(len(DATA), CHUNK)]
    assert trailer == ff.gzip_trailer(zlib.crc32(DATA), len(DATA))
    # Checking only (no target) gives the same CRCs.
    assert inflate_chunks(codec, path, offsets, len(DATA), None) == (crcs, trailer)


@pytest.mark.parametrize('engine', ENGINES)
def test_a_chunk_holding_more_than_recorded_is_refused(tmp_path, engine):
    codec = codec_for(engine)
    path = str(tmp_path / 'ae001100.dat.gz')
    offsets = chunked_file(path, DATA, codec)
    fd = os.open(path, os.O_RDONLY)
    try:
        target = bytearray(CHUNK - 1)
        with pytest.raises(IntegrityError, match='holds more than'):
            _inflate.inflate_chunk(codec, fd, offsets[0], offsets[1], memoryview(target), None, 0, CHUNK - 1, True,
                                   path)
        with pytest.raises(IntegrityError, match=r'holds \d+ bytes, expected'):
            _inflate.inflate_chunk(codec, fd, offsets[0], offsets[1] - 100, None, None, 0, CHUNK, False, path)
        with pytest.raises(IntegrityError, match='does not end where the manifest says'):
            _inflate.inflate_chunk(codec, fd, offsets[0], offsets[1], None, None, 0, CHUNK, True, path)
    finally:
        os.close(fd)


@pytest.mark.parametrize('engine', ENGINES)
def test_corrupt_chunk_names_its_offset(tmp_path, engine):
    codec = codec_for(engine)
    path = str(tmp_path / 'ae001100.dat.gz')
    offsets = chunked_file(path, DATA, codec)
    with open(path, 'r+b') as handle:
        handle.seek(offsets[1])
        handle.write(b'\xff' * 64)
    with pytest.raises(IntegrityError, match='corrupt compressed data in the chunk at segment offset %d' % CHUNK):
        inflate_chunks(codec, path, offsets, len(DATA), bytearray(len(DATA)))


@pytest.mark.parametrize('engine', ENGINES)
def test_c_style_stream_inflates_in_place(tmp_path, engine):
    codec = codec_for(engine)
    path = str(tmp_path / 'ae001100.dat.gz')
    c_style_file(path, DATA)
    progress = []
    target = bytearray(len(DATA))
    fd = os.open(path, os.O_RDONLY)
    try:
        file_size = os.fstat(fd).st_size
        view = memoryview(target)
        crc = _inflate.inflate_stream(codec, fd, len(DATA), file_size, view, _zlib_ctypes.address_of(view), path,
                                      progress.append)
        assert _inflate.inflate_stream(codec, fd, len(DATA), file_size, None, None, path) == crc
    finally:
        os.close(fd)
    assert crc == zlib.crc32(DATA) and bytes(target) == DATA
    assert sum(progress) == len(DATA) and len(progress) > 1


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('damage, message', [
    ('cut', 'truncated after'),
    ('extra', 'unexpected bytes after the end'),
    ('short-header', 'holds more than the'),
    ('long-header', 'the compressed stream holds %d bytes, the header records' % len(DATA)),
])
def test_c_style_stream_damage_is_refused(tmp_path, engine, damage, message):
    codec = codec_for(engine)
    path = str(tmp_path / 'ae001100.dat.gz')
    c_style_file(path, DATA, extra=b'junk' if damage == 'extra' else b'')
    if damage == 'cut':
        os.truncate(path, os.path.getsize(path) - 5000)
    size = {'short-header': len(DATA) - 10, 'long-header': len(DATA) + 10}.get(damage, len(DATA))
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(IntegrityError, match=message):
            _inflate.inflate_stream(codec, fd, size, os.fstat(fd).st_size, None, None, path)
    finally:
        os.close(fd)


def test_without_libz_the_zlib_codec_uses_the_zlib_module(monkeypatch):
    monkeypatch.setattr(_zlib_ctypes, '_library', [None])
    codec = _codec.get_codec('zlib')
    assert codec.native is None
    assert isinstance(_inflate.inflater(codec, -15), _inflate.PythonInflater)


@pytest.mark.skipif(_zlib_ctypes.load() is None, reason='libz does not load')
def test_libz_writes_at_the_address_it_is_given():
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    stream = bytearray(compressor.compress(DATA) + compressor.flush())
    inflater = _zlib_ctypes.load().inflater(-15)
    try:
        inflater.feed(memoryview(stream))
        out = bytearray(len(DATA) + 1)
        assert inflater.inflate(memoryview(out)) == len(DATA)
        assert inflater.eof and not inflater.has_input() and inflater.unused() == 0
        assert bytes(out[:-1]) == DATA
    finally:
        inflater.close()
    broken = _zlib_ctypes.load().inflater(-15)
    broken.feed(memoryview(bytearray(b'\xff' * 100)))
    with pytest.raises(_zlib_ctypes.ZlibError, match='Error -3 while decompressing data'):
        broken.inflate(memoryview(bytearray(100)))
    broken.close()
