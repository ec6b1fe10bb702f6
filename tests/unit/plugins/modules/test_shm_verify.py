# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shm_verify's main() on real backups: verdicts, check mode, refusals, damaged files."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.fastrestart.aerospike.plugins.modules import shm_backup
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_verify

__metaclass__ = type


@pytest.fixture
def backup(shm, run, tmp_path):
    """A folder with backups of namespaces test (compressed stripes) and bar; returns (path, segment CRCs)."""
    shm.make_set(stages=2, stripes=2, stripe_size=65536)
    shm.make_set(nsid=2, name='bar', stages=1)
    crcs = dict(('0x%08x' % k, '0x%08x' % shm.crc(k)) for k in shm.fingerprint())
    path = str(tmp_path / 'b')
    failed, result = run(shm_backup, {'namespaces': ['test', 'bar'], 'path': path, 'compress': True})
    assert not failed, result['msg']
    return path, crcs


@pytest.mark.parametrize('check_mode', [False, True])
def test_verifies_every_backup_the_same_in_check_mode(run, backup, check_mode):
    path, crcs = backup
    failed, result = run(shm_verify, {'path': path}, check_mode=check_mode)
    assert not failed, result['msg']
    assert result['changed'] is False
    assert result['msg'] == 'verified bar, test (%d bytes, 9 files) in %s' % (result['bytes'], path)
    assert sorted((n['instance'], n['namespace'], n['state']) for n in result['namespaces']) == [
        (0, 'bar', 'verified'), (0, 'test', 'verified')]
    assert dict((s['key'], s['crc']) for s in result['segments']) == crcs
    assert all(s['ok'] and s['checked_against'] == 'manifest' for s in result['segments'])
    assert result['bytes'] == 9 * 4096 + 2 * (65536 - 4096)
    assert result['seconds'] >= 0


def test_filters_by_namespace_and_instance(run, backup):
    path = backup[0]
    failed, result = run(shm_verify, {'path': path, 'namespaces': ['bar'], 'instance': 0})
    assert not failed, result['msg']
    assert [n['namespace'] for n in result['namespaces']] == ['bar']
    assert len(result['segments']) == 3


def test_fails_naming_the_damaged_file(run, backup):
    path = backup[0]
    name = os.path.join(path, 'ae001000.dat')
    with open(name, 'r+b') as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    failed, result = run(shm_verify, {'path': path})
    assert failed
    assert name in result['msg']
    bad = [s for s in result['segments'] if not s['ok']]
    assert [s['file'] for s in bad] == ['ae001000.dat']
    assert bad[0]['error']
    assert dict((n['namespace'], n['state']) for n in result['namespaces']) == {'bar': 'verified', 'test': 'damaged'}


def test_refuses_incomplete_backup_before_reading(run, backup):
    path = backup[0]
    os.unlink(os.path.join(path, 'ad001001.dat.gz'))
    failed, result = run(shm_verify, {'path': path})
    assert failed
    assert 'ad001001.dat.gz is missing' in result['msg']
    assert [p['code'] for p in result['problems']] == ['manifest-mismatch']


def test_refuses_missing_and_empty_folders(run, tmp_path):
    failed, result = run(shm_verify, {'path': str(tmp_path / 'nope')})
    assert failed and 'is not a folder' in result['msg']
    failed, result = run(shm_verify, {'path': str(tmp_path)})
    assert failed and 'holds no backup' in result['msg']
