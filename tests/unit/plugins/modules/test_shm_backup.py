# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shm_backup's main() on real segments: success, check mode, idempotence, diff, every refusal."""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import tempfile
import zlib

import pytest

from ansible_collections.fastrestart.aerospike.plugins.modules import shm_backup

__metaclass__ = type


def _listing(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else None


def test_backup_writes_files_manifest_and_returns_contract(shm, run, tmp_path):
    made = shm.make_set(stages=2, stripes=2, sindex_stages=1)
    path = str(tmp_path / 'b')

    failed, result = run(shm_backup, {'namespaces': ['test'], 'path': path})

    assert not failed, result['msg']
    assert result['changed'] is True
    assert result['path'] == path
    assert result['msg'].startswith('backed up test (')
    keys = sorted(result_key for result_key in (s['key'] for s in result['segments']))
    assert keys == sorted('0x%08x' % k for k in made.values())
    for seg in result['segments']:
        key = int(seg['key'], 16)
        assert seg['crc'] == '0x%08x' % shm.crc(key) == seg['crc32']
        assert seg['file'] == '%08x.dat' % key
        assert seg['file_size'] == seg['size'] == 4096
        assert seg['compressed'] is False
        assert seg['type'] in ('primary', 'secondary', 'data')
        assert seg['namespace'] == 'test' and seg['instance'] == 0
    assert {s['key']: s['role'] for s in result['segments']}['0xae001000'] == 'pi-base'
    assert {s['key']: s['stage'] for s in result['segments']}['0xae001101'] == '0x101'
    assert result['bytes'] == 8 * 4096
    assert result['seconds'] >= 0
    assert result['manifests'] == [os.path.join(path, 'fastrestart-i0-test.manifest.json')]
    with open(result['manifests'][0]) as handle:
        manifest = json.load(handle)
    assert sorted(f['key'] for f in manifest['files']) == keys
    assert result['plan']['operation'] == 'backup'
    assert result['plan']['namespaces'][0]['state'] == 'ready'
    for seg in result['segments']:
        with open(os.path.join(path, seg['file']), 'rb') as handle:
            assert '0x%08x' % zlib.crc32(handle.read()) == seg['crc']


def test_check_mode_creates_nothing_and_agrees_with_real_run(shm, run, tmp_path):
    shm.make_set(stages=1, stripes=1)
    path = str(tmp_path / 'b')
    before = shm.fingerprint()

    failed, checked = run(shm_backup, {'namespaces': ['test'], 'path': path}, check_mode=True)

    assert not failed, checked['msg']
    assert checked['changed'] is True
    assert not os.path.exists(path)
    assert shm.fingerprint() == before
    assert checked['msg'].startswith('would back up test (%d bytes) to %s' % (4 * 4096, path))
    assert all(s['crc'] is None and s['file_size'] is None for s in checked['segments'])
    assert checked['gbps'] is None
    assert checked['manifests'] == [os.path.join(path, 'fastrestart-i0-test.manifest.json')]

    failed, real = run(shm_backup, {'namespaces': ['test'], 'path': path})
    assert not failed
    assert real['changed'] == checked['changed']
    assert [s['key'] for s in real['segments']] == [s['key'] for s in checked['segments']]
    assert [s['file'] for s in real['segments']] == [s['file'] for s in checked['segments']]
    assert real['manifests'] == checked['manifests']
    assert real['bytes'] == checked['bytes']


def test_second_run_is_unchanged_in_both_modes(shm, run, tmp_path):
    shm.make_set(stages=2)
    path = str(tmp_path / 'b')
    failed, first = run(shm_backup, {'namespaces': ['test'], 'path': path})
    assert not failed and first['changed']
    files = _listing(path)

    for check_mode in (True, False):
        failed, again = run(shm_backup, {'namespaces': ['test'], 'path': path}, check_mode=check_mode)
        assert not failed, again['msg']
        assert again['changed'] is False
        assert again['bytes'] == 0
        assert 'already backed up' in again['msg']
        assert [s['crc'] for s in again['segments']] == [s['crc'] for s in first['segments']]
        assert again['manifests'] == first['manifests']
        assert _listing(path) == files


def test_compress_and_verify(shm, run, tmp_path):
    shm.make_set(stages=1, stripes=1, stage_size=65536, random=False)
    path = str(tmp_path / 'b')
    failed, result = run(shm_backup, {'namespaces': ['test'], 'path': path, 'compress': True, 'verify': True,
                                      'threads': 1})
    assert not failed, result['msg']
    by_role = dict((s['role'], s) for s in result['segments'])
    assert by_role['pi-base']['file'] == 'ae001000.dat' and not by_role['pi-base']['compressed']
    assert by_role['pi-stage']['file'] == 'ae001100.dat.gz' and by_role['pi-stage']['compressed']
    assert by_role['pi-stage']['file_size'] < by_role['pi-stage']['size']
    assert result['plan']['compress'] is True
    assert result['plan']['threads'] == 1


def test_diff_lists_files_before_and_after(shm, run, tmp_path):
    shm.make_set(stages=1)
    path = str(tmp_path / 'b')
    os.mkdir(path, 0o700)
    expected = ['ae001000.dat', 'ae001001.dat', 'ae001100.dat', 'fastrestart-i0-test.manifest.json']

    failed, checked = run(shm_backup, {'namespaces': ['test'], 'path': path}, check_mode=True, diff=True)
    assert not failed
    assert checked['diff']['before'] == {'path': path, 'files': []}
    assert checked['diff']['after'] == {'path': path, 'files': expected}
    assert _listing(path) == []

    failed, real = run(shm_backup, {'namespaces': ['test'], 'path': path}, diff=True)
    assert not failed
    assert real['diff'] == checked['diff']
    assert _listing(path) == expected

    failed, again = run(shm_backup, {'namespaces': ['test'], 'path': path}, diff=True)
    assert not failed
    assert again['diff']['before'] == again['diff']['after'] == {'path': path, 'files': expected}


def _both_modes_refuse(run, args, code):
    """Run in check mode and for real: both must fail with the same message and problem code."""
    outcomes = []
    for check_mode in (True, False):
        failed, result = run(shm_backup, args, check_mode=check_mode)
        assert failed, 'expected a refusal (%s), got: %s' % (code, result['msg'])
        assert code in [p['code'] for p in result['problems']], result['problems']
        assert result['plan']['ok'] is False
        outcomes.append(result)
    assert outcomes[0]['msg'] == outcomes[1]['msg']
    assert outcomes[0]['problems'] == outcomes[1]['problems']
    return outcomes[1]


def test_refuses_attached_segments_naming_keys_and_pids(shm, run, tmp_path):
    made = shm.make_set(stages=1)
    shm.attach(made['pi-0x100'])
    path = str(tmp_path / 'b')
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'attached')
    problem = [p for p in result['problems'] if p['code'] == 'attached'][0]
    assert problem['namespace'] == 'test'
    assert problem['facts']['keys'] == ['0x%08x' % made['pi-0x100']]
    assert problem['facts']['pids'] == [os.getpid()]
    assert '0x%08x' % made['pi-0x100'] in result['msg'] and 'stop asd' in result['msg']
    assert not os.path.exists(path)


def test_refuses_unclean_shutdown(shm, run, tmp_path):
    shm.make_set(stages=1, shutdown=0)
    path = str(tmp_path / 'b')
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'unclean')
    assert 'shut down cleanly' in result['msg']
    assert not os.path.exists(path)


def test_refuses_incomplete_set(shm, run, tmp_path):
    shm.make_set(stages=2, skip=('pi-0x100',))
    path = str(tmp_path / 'b')
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'incomplete')
    assert 'Missing primary stage segment 100' in result['msg']


def test_refuses_unknown_namespace_naming_those_found(shm, run, tmp_path):
    shm.make_set(stages=1)
    result = _both_modes_refuse(run, {'namespaces': ['nope'], 'path': str(tmp_path / 'b')}, 'not-found')
    assert "Namespaces found for instance 0: 'test'" in result['msg']


def test_refuses_folder_with_another_backup_of_the_set(shm, run, tmp_path):
    made = shm.make_set(stages=1)
    path = str(tmp_path / 'b')
    failed = run(shm_backup, {'namespaces': ['test'], 'path': path})[0]
    assert not failed
    shm.write(made['pi-0x100'], b'changed since the backup')
    files = _listing(path)
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'exists')
    assert 'contents differ' in result['msg']
    assert _listing(path) == files


def test_refuses_missing_parent(shm, run, tmp_path):
    shm.make_set(stages=1)
    path = str(tmp_path / 'no' / 'such' / 'b')
    result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'folder')
    assert 'does not exist' in result['msg']
    assert result['problems'][0]['namespace'] is None


def test_refuses_volatile_path_unless_allowed(shm, run):
    shm.make_set(stages=1)
    if not os.path.isdir('/dev/shm'):
        pytest.skip('no /dev/shm tmpfs on this host')
    top = tempfile.mkdtemp(prefix='fastrestart-test-', dir='/dev/shm')
    try:
        path = os.path.join(top, 'b')
        result = _both_modes_refuse(run, {'namespaces': ['test'], 'path': path}, 'volatile-path')
        assert 'tmpfs' in result['msg']
        failed, allowed = run(shm_backup, {'namespaces': ['test'], 'path': path, 'allow_volatile_path': True})
        assert not failed, allowed['msg']
        assert allowed['changed'] is True
    finally:
        shutil.rmtree(top)


def test_refuses_bad_instance_and_duplicate_names(shm, run, tmp_path):
    failed, result = run(shm_backup, {'namespaces': ['test'], 'path': str(tmp_path / 'b'), 'instance': 16})
    assert failed and 'Instance must be from 0..15' in result['msg']
    failed, result = run(shm_backup, {'namespaces': ['test', 'test'], 'path': str(tmp_path / 'b')})
    assert failed and 'listed more than once' in result['msg']


def test_requires_namespaces_and_path(run):
    failed, result = run(shm_backup, {'namespaces': ['test']})
    assert failed and 'path' in result['msg']


def test_check_mode_on_a_host_never_backed_up_plans_the_root(shm, run, tmp_path):
    shm.make_set(stages=1)
    root = tmp_path / 'aerospike'
    path = str(root / 'cycle-1')

    failed, refused = run(shm_backup, {'namespaces': ['test'], 'path': path}, check_mode=True)
    assert failed and 'does not exist; create it first' in refused['msg']

    failed, result = run(shm_backup, {'namespaces': ['test'], 'path': path, 'create_parents': True}, check_mode=True)
    assert not failed, result['msg']
    assert result['changed'] is True and result['created_parents'] == [str(root)]
    assert result['plan']['create_parents'] == [str(root)] and result['plan']['create_folder'] is True
    assert not root.exists()

    failed, result = run(shm_backup, {'namespaces': ['test'], 'path': path, 'create_parents': True})
    assert not failed, result['msg']
    assert result['created_parents'] == [str(root)]
    assert oct(os.stat(str(root)).st_mode & 0o7777) == oct(0o700)
    assert result['manifests'] == [os.path.join(path, 'fastrestart-i0-test.manifest.json')]

    failed, again = run(shm_backup, {'namespaces': ['test'], 'path': path, 'create_parents': True})
    assert not failed and again['changed'] is False and again['created_parents'] == []
