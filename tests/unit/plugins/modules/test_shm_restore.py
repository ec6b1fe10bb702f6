# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shm_restore's main() on real segments: success, check mode, idempotence, diff, every refusal."""

from __future__ import absolute_import, division, print_function

import os

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_backup
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_restore

__metaclass__ = type


@pytest.fixture
def backed_up(shm, run, tmp_path):
    """A backup of namespace test (2 stages, a secondary index, 2 stripes); segments removed after it.

    Returns (path, fingerprint of the segments that were backed up, keys).
    """
    made = shm.make_set(stages=2, sindex_stages=1, stripes=2, mode=0o640, uid=1234, gid=5678)
    fingerprint = shm.fingerprint()
    path = str(tmp_path / 'b')
    failed, result = run(shm_backup, {'namespaces': ['test'], 'path': path})
    assert not failed, result['msg']
    shm.remove_all()
    return path, fingerprint, sorted('0x%08x' % k for k in made.values())


@pytest.fixture
def kernel_limits():
    """Set kernel.shm* limits of the session's private IPC namespace; the old values come back afterwards."""
    saved = []

    def set_limit(name, value):
        saved.append((name, shm_sets.set_kernel_limit(name, value)))
    yield set_limit
    for name, value in reversed(saved):
        shm_sets.set_kernel_limit(name, value)


def test_restore_recreates_identical_segments(shm, run, backed_up):
    path, fingerprint, keys = backed_up

    failed, result = run(shm_restore, {'namespaces': ['test'], 'path': path})

    assert not failed, result['msg']
    assert result['changed'] is True
    assert result['msg'].startswith('restored test (%d bytes) from %s' % (8 * 4096, path))
    assert shm.fingerprint() == fingerprint
    assert sorted(s['key'] for s in result['segments']) == keys
    for seg in result['segments']:
        assert seg['crc'] == '0x%08x' % shm.crc(int(seg['key'], 16))
    assert result['bytes'] == 8 * 4096
    assert result['manifests'] == [os.path.join(path, 'fastrestart-i0-test.manifest.json')]
    assert result['required_limits'] == {'shmmax': 4096, 'shmall': 8, 'shmmni': 8}


def test_check_mode_creates_nothing_and_agrees_with_real_run(shm, run, backed_up):
    path, fingerprint, keys = backed_up

    failed, checked = run(shm_restore, {'namespaces': ['test'], 'path': path}, check_mode=True)

    assert not failed, checked['msg']
    assert checked['changed'] is True
    assert shm_sets.segments() == {}
    assert checked['msg'].startswith('would restore test (%d bytes) from %s' % (8 * 4096, path))
    assert checked['plan']['facts']['kernel_limits']['shmmni'] > 0
    assert checked['required_limits'] == {'shmmax': 4096, 'shmall': 8, 'shmmni': 8}

    failed, real = run(shm_restore, {'namespaces': ['test'], 'path': path})
    assert not failed
    assert real['changed'] == checked['changed']
    assert [s['key'] for s in real['segments']] == [s['key'] for s in checked['segments']]
    # The manifest's CRCs are what the analysis expects; the run computed the same.
    assert [s['crc'] for s in real['segments']] == [s['crc'] for s in checked['segments']]
    assert shm.fingerprint() == fingerprint


def test_second_run_is_unchanged_in_both_modes(shm, run, backed_up):
    path, fingerprint = backed_up[:2]
    failed = run(shm_restore, {'namespaces': ['test'], 'path': path})[0]
    assert not failed
    for check_mode in (True, False):
        failed, again = run(shm_restore, {'namespaces': ['test'], 'path': path}, check_mode=check_mode)
        assert not failed, again['msg']
        assert again['changed'] is False
        assert 'already restored' in again['msg']
        assert again['required_limits']['shmmni'] == 8   # nothing more to create
        assert shm.fingerprint() == fingerprint


def test_diff_lists_keys_before_and_after(shm, run, backed_up):
    path, keys = backed_up[0], backed_up[2]
    failed, checked = run(shm_restore, {'namespaces': ['test'], 'path': path}, check_mode=True, diff=True)
    assert not failed
    assert checked['diff']['before'] == {'instance': 0, 'keys': []}
    assert checked['diff']['after'] == {'instance': 0, 'keys': keys}
    failed, real = run(shm_restore, {'namespaces': ['test'], 'path': path}, diff=True)
    assert not failed and real['diff'] == checked['diff']


def _both_modes_refuse(run, args, code):
    outcomes = []
    for check_mode in (True, False):
        failed, result = run(shm_restore, args, check_mode=check_mode)
        assert failed, 'expected a refusal (%s), got: %s' % (code, result['msg'])
        assert code in [p['code'] for p in result['problems']], result['problems']
        outcomes.append(result)
    assert outcomes[0]['msg'] == outcomes[1]['msg']
    assert outcomes[0]['problems'] == outcomes[1]['problems']
    return outcomes[1]


def test_refuses_existing_different_segments(shm, run, backed_up):
    path = backed_up[0]
    made = shm.make_set(stages=2, sindex_stages=1, stripes=2)   # same keys, other contents
    before = shm.fingerprint()
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'exists')
    assert 'shm_segments state=absent' in result['msg']
    assert '0x%08x' % made['base'] in [k for p in result['problems'] for k in p['facts'].get('keys', [])]
    assert shm.fingerprint() == before


def test_refuses_attached_segments(shm, run, backed_up):
    path = backed_up[0]
    made = shm.make_set(stages=2, sindex_stages=1, stripes=2)
    shm.attach(made['base'])
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'attached')
    assert str(os.getpid()) in result['msg']


def test_refuses_incomplete_backup(shm, run, backed_up):
    path = backed_up[0]
    os.unlink(os.path.join(path, 'ae001101.dat'))
    _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'incomplete')
    assert shm_sets.segments() == {}


def test_refuses_file_not_matching_manifest(shm, run, backed_up):
    path = backed_up[0]
    with open(os.path.join(path, 'ad001001.dat'), 'ab') as handle:
        handle.write(b'extra')
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'manifest-mismatch')
    assert 'ad001001.dat' in result['msg']
    assert shm_sets.segments() == {}


def test_refuses_missing_folder(run, tmp_path):
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': str(tmp_path / 'nope')}, 'folder')
    assert "Cannot read from directory" in result['msg']


def test_refuses_folder_writable_by_others(run, backed_up):
    path = backed_up[0]
    os.chmod(path, 0o777)
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'folder-permissions')
    assert 'chmod 0700' in result['msg']


def test_refuses_low_kernel_limits_and_returns_what_is_needed(shm, run, backed_up, kernel_limits):
    path, fingerprint = backed_up[:2]
    kernel_limits('shmmax', 2048)
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'kernel-limits')
    assert 'kernel.shmmax' in result['msg']
    assert result['required_limits'] == {'shmmax': 4096, 'shmall': 8, 'shmmni': 8}
    assert shm_sets.segments() == {}
    kernel_limits('shmmax', result['required_limits']['shmmax'])
    failed, restored = run(shm_restore, {'namespaces': ['test'], 'path': path})
    assert not failed, restored['msg']
    assert shm.fingerprint() == fingerprint


def test_verify_reads_the_restored_segments_back(shm, run, backed_up):
    path, fingerprint, keys = backed_up

    failed, result = run(shm_restore, {'namespaces': ['test'], 'path': path, 'verify': True})

    assert not failed, result['msg']
    assert result['changed'] is True
    assert shm.fingerprint() == fingerprint
