# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compressed round trips into real segments on a host without isal: libz by ctypes, then the zlib module alone."""

from __future__ import absolute_import, division, print_function

import builtins
import os

import pytest

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _codec
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _inflate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _transfer
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _zlib_ctypes
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import IntegrityError

__metaclass__ = type


@pytest.fixture(params=['zlib-ctypes', 'zlib-module'])
def no_isal(request, monkeypatch):
    """isal blocked as on the managed hosts; for zlib-module, libz by ctypes too."""
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
    # Chunks and slices far smaller than the segments: many chunks per stage, in parallel.
    monkeypatch.setattr(_transfer, 'COMPRESS_CHUNK', 16384)
    monkeypatch.setattr(_inflate, 'FEED_SLICE', 3000)
    monkeypatch.setattr(_inflate, 'OUT_SLICE', 5000)
    return request.param


def run(plan):
    plan.raise_if_refused()
    return plan


def test_our_chunked_files_round_trip(shm, tmp_path, no_isal):
    shm.make_set(instance=2, nsid=4, name='test', stages=3, stage_size=100000, treex_size=50000, stripes=2,
                 stripe_size=40000 + 5)
    before = shm.fingerprint()
    plan = run(_backup.plan_backup(str(tmp_path / 'bk'), ['test'], instance=2, compress=True, threads=3))
    assert plan.codec.name == 'zlib' and (plan.codec.native is not None) == (no_isal == 'zlib-ctypes')
    _backup.execute_backup(plan)
    manifest = _manifest.load(os.path.join(str(tmp_path / 'bk'), _manifest.manifest_name(2, 'test')))
    assert max(len(e.get('chunk_offsets') or []) for e in manifest['files']) == 7
    shm.remove_all()
    plan = run(_restore.plan_restore(str(tmp_path / 'bk'), ['test'], instance=2, threads=3))
    assert plan.codec.name == 'zlib'
    _restore.execute_restore(plan)
    assert shm.fingerprint() == before


def test_c_style_files_round_trip(shm, tmp_path, no_isal):
    stage = os.urandom(30000) + bytes(70000)
    files = shm_sets.c_backup_files('c-made', 1, 3, [
        (shm_sets.PRIMARY, None, 0, shm_sets.base_bytes('c-made', 1, size=4096)),
        (shm_sets.PRIMARY, None, 1, b'treex' * 1000),
        (shm_sets.PRIMARY, None, 0x100, stage),
    ])
    shm_sets.write_files(str(tmp_path / 'c'), files, mode=0o600)
    plan = run(_restore.plan_restore(str(tmp_path / 'c'), ['c-made'], instance=1, threads=2))
    _restore.execute_restore(plan)
    assert shm.read(shm_sets.key(shm_sets.PRIMARY, 1, 3, 0x100)) == stage
    assert shm.read(shm_sets.key(shm_sets.PRIMARY, 1, 3, 1)) == b'treex' * 1000


def test_damaged_chunk_fails_the_restore_and_leaves_no_segment(shm, tmp_path, no_isal):
    made = shm.make_set(instance=0, nsid=1, name='test', stages=1, stage_size=100000)
    _backup.execute_backup(run(_backup.plan_backup(str(tmp_path / 'bk2'), ['test'], compress=True)))
    path = str(tmp_path / 'bk2' / ('%08x.dat.gz' % made['pi-0x100']))
    manifest = _manifest.load(os.path.join(str(tmp_path / 'bk2'), _manifest.manifest_name(0, 'test')))
    offsets = [e for e in manifest['files'] if e['file'] == os.path.basename(path)][0]['chunk_offsets']
    with open(path, 'r+b') as handle:
        handle.seek(offsets[2] + 10)
        handle.write(b'\xff' * 40)
    shm.remove_all()
    plan = run(_restore.plan_restore(str(tmp_path / 'bk2'), ['test']))
    # Bytes that still inflate are caught by the CRC-32s, the others by inflate itself.
    with pytest.raises(IntegrityError, match='corrupt compressed data in the chunk at segment offset 32768|does not match'):
        _restore.execute_restore(plan)
    assert shm_sets.segments() == {}
