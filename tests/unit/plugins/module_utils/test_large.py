# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A compressed round trip of a stage over 4 GiB (docs/asmt-format.md §4.6, differences 2 and 3).

C ASMT compresses only S mod 2**32 bytes of such a segment and its CRCs cover as much. The
file is checked here with plain zlib, independently of the code under test: header size and
CRC, one gzip member, the trailer's ISIZE (S mod 2**32) and CRC, and the inflated bytes.
"""

from __future__ import absolute_import, division, print_function

import os
import struct
import zlib

import pytest
import sysv_ipc

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _verify

__metaclass__ = type

GIB = 1 << 30
SIZE = 4 * GIB + GIB // 2          # 4.5 GiB: ISIZE in the trailer is 512 MiB
STEP = 64 << 20
# Random blocks at the start, around 2**31 and 2**32 (where 32-bit lengths wrap) and at the end.
MARKERS = (0, 2 * GIB - 4096, 4 * GIB - 8192, 4 * GIB, 4 * GIB + 12345, SIZE - 65536)


def segment_crc(seg_key):
    memory = sysv_ipc.SharedMemory(seg_key)
    try:
        view = memoryview(memory)
        crc = 0
        for start in range(0, len(view), STEP):
            crc = zlib.crc32(view[start:start + STEP], crc)
        view.release()
        return crc
    finally:
        memory.detach()


def file_check(path):
    """(header size, header crc, trailer crc, trailer isize, inflated size, inflated crc, bytes after)."""
    with open(path, 'rb') as handle:
        magic, version, size, crc = struct.unpack('<IIQQ', handle.read(24))
        assert (magic, version) == (shm_sets.ASMT_MAGIC, 1)
        decompressor = zlib.decompressobj(31)
        out = 0
        out_crc = 0
        while not decompressor.eof:
            data = handle.read(STEP)
            assert data, 'the gzip member is truncated'
            while data and not decompressor.eof:
                piece = decompressor.decompress(data, STEP)
                out += len(piece)
                out_crc = zlib.crc32(piece, out_crc)
                data = decompressor.unconsumed_tail
        after = decompressor.unused_data + handle.read()
        handle.seek(-8, os.SEEK_END)
        trailer_crc, isize = struct.unpack('<II', handle.read(8))
    return size, crc, trailer_crc, isize, out, out_crc, after


@pytest.mark.slow
def test_compressed_round_trip_of_a_stage_over_4gib(shm, tmp_path):
    made = shm.make_set(stages=2, stage_size=1 << 20, random=True, skip=('pi-0x101',))
    stage = made['pi-0x101']
    shm.create(stage, SIZE)
    memory = sysv_ipc.SharedMemory(stage)
    try:
        for offset in MARKERS:
            memory.write(os.urandom(min(65536, SIZE - offset)), offset)
        # Some compressible but not trivial content through the part beyond 4 GiB.
        pattern = (b'aerospike-index-' * 4096)[:65536]
        for offset in range(4 * GIB + (1 << 20), SIZE - (1 << 20), 32 << 20):
            memory.write(pattern, offset)
    finally:
        memory.detach()
    crc = segment_crc(stage)
    small = dict((k, shm.crc(k)) for k in made.values() if k != stage)

    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'], compress=True)
    plan.raise_if_refused()
    result = _backup.execute_backup(plan)
    assert [s['crc32'] for s in result['namespaces'][0]['segments'] if s['key'] == '0x%08x' % stage] == ['0x%08x' % crc]

    path = str(tmp_path / 'bk' / ('%08x.dat.gz' % stage))
    size, header_crc, trailer_crc, isize, out, out_crc, after = file_check(path)
    assert (size, header_crc) == (SIZE, crc)
    assert (trailer_crc, isize) == (crc, SIZE % (1 << 32)) and isize == GIB // 2
    assert (out, out_crc) == (SIZE, crc)
    assert after == b''
    assert os.path.getsize(path) < GIB // 4

    _verify.execute_verify(_verify.plan_verify(str(tmp_path / 'bk')))
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    plan.raise_if_refused()
    _restore.execute_restore(plan)
    assert shm_sets.segments()[stage]['size'] == SIZE
    assert segment_crc(stage) == crc
    assert dict((k, shm.crc(k)) for k in small) == small


@pytest.mark.slow
def test_c_style_stream_of_a_stage_over_4gib_restores(shm, tmp_path):
    """A file as C ASMT would write it once fixed: one zlib stream, no chunk index, no manifest.

    It is inflated from start to end by one worker; the trailer's ISIZE is S mod 2**32.
    """
    size = 4 * GIB + 4096
    tail = os.urandom(4096)
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31, 9)
    crc = 0
    zeros = bytes(STEP)
    folder = str(tmp_path / 'c')
    os.mkdir(folder, 0o700)
    shm_sets.write_files(folder, {'ae001000.dat': shm_sets.base_bytes('test', 1), 'ae001001.dat': b'T'})
    path = os.path.join(folder, 'ae001100.dat.gz')
    with open(path, 'wb') as handle:
        handle.write(bytes(24))
        for dummy in range((size - 4096) // STEP):
            crc = zlib.crc32(zeros, crc)
            handle.write(compressor.compress(zeros))
        crc = zlib.crc32(tail, crc)
        handle.write(compressor.compress(tail))
        handle.write(compressor.flush())
        handle.seek(0)
        handle.write(shm_sets.asmt_header(size, crc))
    plan = _restore.plan_restore(folder, ['test'])
    plan.raise_if_refused()
    _restore.execute_restore(plan)
    assert segment_crc(0xAE001100) == crc
    memory = sysv_ipc.SharedMemory(0xAE001100)
    try:
        assert memory.read(4096, size - 4096) == tail
    finally:
        memory.detach()
