# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore through the segment's own file, and through its mapping where that file cannot be opened."""

from __future__ import absolute_import, division, print_function

import builtins
import os

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _codec
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _inflate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _segment_file
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _transfer
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _zlib_ctypes

__metaclass__ = type

KEY = 0x0B00A001


@pytest.fixture
def segment(shm):
    shmid = _sysv.create_segment(KEY, 3 * 4096 + 100)
    attachment = _sysv.Attachment(shmid, readonly=False)
    yield attachment
    attachment.detach()
    _sysv.remove_segment(shmid)


def test_open_for_writes_into_the_segment_itself(segment):
    fd = _segment_file.open_for(segment)
    if fd is None:
        assert os.geteuid() != 0 or not os.path.isdir(_segment_file.MAP_FILES)
        pytest.skip('the segment file cannot be opened here (not root or no /proc)')
    try:
        assert os.fstat(fd).st_ino == segment.shmid
        os.pwrite(fd, b'through the file', 2 * 4096 + 90)
    finally:
        os.close(fd)
    assert bytes(segment.view[2 * 4096 + 90:2 * 4096 + 106]) == b'through the file'
    assert bytes(segment.view[:2 * 4096 + 90]) == bytes(2 * 4096 + 90)


class Impostor:
    """An attachment's address with another segment's id or size: open_for must refuse it."""

    def __init__(self, attachment, shmid, size):
        self.address = attachment.address
        self.shmid = shmid
        self.size = size


def test_open_for_refuses_what_is_not_exactly_that_segment(segment):
    assert _segment_file.open_for(Impostor(segment, segment.shmid + 1, segment.size)) is None
    assert _segment_file.open_for(Impostor(segment, segment.shmid, segment.size - 1)) is None
    assert _segment_file.open_for(None) is None


def test_open_for_stays_off_once_unavailable(segment, monkeypatch):
    monkeypatch.setattr(_segment_file, '_unavailable', [1])
    assert not _segment_file.available()
    assert _segment_file.open_for(segment) is None


@pytest.fixture(params=['segment-file', 'mapping'])
def route(request, monkeypatch):
    """Both ways into the segment; many small chunks and slices so that every loop turns."""
    if request.param == 'mapping':
        monkeypatch.setattr(_segment_file, '_unavailable', ['test'])
    monkeypatch.setattr(_transfer, 'COMPRESS_CHUNK', 16384)
    monkeypatch.setattr(_transfer, 'COPY_CHUNK', 20000)
    monkeypatch.setattr(_transfer, 'BOUNCE_SLICE', 3000)
    monkeypatch.setattr(_transfer, 'READ_SLICE', 3000)
    monkeypatch.setattr(_inflate, 'FEED_SLICE', 3000)
    monkeypatch.setattr(_inflate, 'OUT_SLICE', 5000)
    return request.param


@pytest.fixture(params=['auto', 'zlib-ctypes', 'zlib-module'])
def codec_name(request, monkeypatch):
    """The default codec, and the two of a bare Debian python3 (isal blocked)."""
    if request.param == 'auto':
        return request.param
    real_import = builtins.__import__

    def blocked(name, *args, **kwargs):
        if name == 'isal' or name.startswith('isal.'):
            raise ImportError('No module named %r (blocked by the test)' % name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', blocked)
    monkeypatch.setattr(_codec, 'HAS_ISAL', False)
    monkeypatch.setattr(_codec, 'isal_zlib', None)
    if request.param == 'zlib-module':
        monkeypatch.setattr(_zlib_ctypes, '_library', [None])
    elif _zlib_ctypes.load() is None:
        pytest.skip('libz does not load')
    return request.param


@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'z'])
def test_round_trip(shm, tmp_path, route, codec_name, compress):
    shm.make_set(instance=1, nsid=2, name='test', stages=2, stage_size=100000 + 7, treex_size=50000, stripes=1,
                 stripe_size=40000 + 5)
    before = shm.fingerprint()
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'], instance=1, compress=compress, threads=3)
    plan.raise_if_refused()
    _backup.execute_backup(plan)
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'], instance=1, threads=3)
    plan.raise_if_refused()
    _restore.execute_restore(plan)
    assert shm.fingerprint() == before
    assert _segment_file.available() == (route == 'segment-file' and os.geteuid() == 0)
