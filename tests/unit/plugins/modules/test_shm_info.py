# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shm_info's main() on real segments and folders; and every module without sysv_ipc."""

from __future__ import absolute_import, division, print_function

import builtins
import importlib
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_sysvipc
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_backup
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_info
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_restore
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_segments
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_verify

__metaclass__ = type


def _boot_id():
    with open('/proc/sys/kernel/random/boot_id') as handle:
        return handle.read().strip()


@pytest.mark.parametrize('check_mode', [False, True])
def test_describes_namespaces_segments_and_kernel(shm, run, check_mode):
    test = shm.make_set(stages=2, sindex_stages=1, stripes=2, mode=0o640)
    shm.make_set(instance=1, nsid=2, name='bar', stages=1, shutdown=0)
    shm.attach(test['pi-0x101'])

    failed, result = run(shm_info, {}, check_mode=check_mode)

    assert not failed, result['msg']
    assert result['changed'] is False
    assert result['boot_id'] == _boot_id()
    assert result['hostname']
    kernel = result['kernel']
    assert kernel['segments'] == 11
    assert kernel['bytes_in_use'] == 11 * 4096
    assert kernel['pages_in_use'] == 11 * 4096 // kernel['page_size']
    assert set(kernel) == {'shmmax', 'shmall', 'shmmni', 'page_size', 'segments', 'pages_in_use', 'bytes_in_use',
                           'mem_available'}
    by_name = dict((n['namespace'], n) for n in result['namespaces'])
    assert sorted(by_name) == ['bar', 'test']
    ns = by_name['test']
    assert (ns['instance'], ns['nsid'], ns['segment_count'], ns['bytes']) == (0, 1, 8, 8 * 4096)
    assert ns['base_present'] is True and ns['orphan'] is False
    assert ns['base_version'] == 12 and ns['clean_shutdown'] is True
    assert ns['attached'] is True and ns['pids'] == [os.getpid()]
    assert [s['key'] for s in ns['segments']] == ['0x%08x' % k for k in (
        test['base'], test['treex'], test['pi-0x100'], test['pi-0x101'], test['meta'], test['si-0x100'],
        test['data-0x000'], test['data-0x001'])]
    stage = ns['segments'][3]
    assert stage == {'key': '0x%08x' % test['pi-0x101'], 'type': 'primary', 'role': 'pi-stage', 'stage': '0x101',
                     'size': 4096, 'uid': 0, 'gid': 0, 'mode': '0640', 'nattch': 1, 'pids': [os.getpid()]}
    assert [s['type'] for s in ns['segments']][4:] == ['secondary', 'secondary', 'data', 'data']
    other = by_name['bar']
    assert (other['instance'], other['nsid'], other['clean_shutdown'], other['attached'], other['pids']) == (1, 2, False, False, [])
    assert result['backups'] == []
    assert result['unclaimed_segments'] == []


def test_filters_and_orphans_and_unclaimed(shm, run):
    shm.make_set(stages=1)
    shm.make_set(nsid=2, name='bar', stages=1, stripes=2, skip=('base',))
    shm.make_set(instance=3, nsid=4, name='baz', stages=1)
    failed, result = run(shm_info, {'instance': 0})
    assert not failed
    by_name = dict((n['namespace'], n) for n in result['namespaces'])
    assert sorted(by_name) == ['bar', 'test']
    assert by_name['bar']['orphan'] is True and by_name['bar']['base_present'] is False
    assert by_name['bar']['clean_shutdown'] is None and by_name['bar']['segment_count'] == 2
    # bar's treex and stage have lost their base: no name ties them to a namespace.
    assert [s['key'] for s in result['unclaimed_segments']] == ['0xae002001', '0xae002100']
    failed, result = run(shm_info, {'namespaces': ['baz']})
    assert not failed
    assert [(n['instance'], n['namespace']) for n in result['namespaces']] == [(3, 'baz')]
    # Restoring baz creates its segments anew, beside all the others: shm_restore's rule.
    kernel = result['kernel']
    assert result['required_limits'] == {'shmmax': 4096, 'shmall': kernel['pages_in_use'], 'shmmni': kernel['segments']}
    failed, result = run(shm_info, {'namespaces': ['nothing']})
    assert result['required_limits'] == {'shmmax': 0, 'shmall': kernel['pages_in_use'], 'shmmni': kernel['segments']}
    failed, result = run(shm_info, {'instance': 16})
    assert failed and 'Instance must be from 0..15' in result['msg']


def test_describes_backup_folders_in_every_state(shm, run, tmp_path):
    shm.make_set(stages=1, stripes=1)
    shm.make_set(nsid=2, name='bar', stages=1)
    complete = str(tmp_path / 'complete')
    failed, backup = run(shm_backup, {'namespaces': ['test', 'bar'], 'path': complete})
    assert not failed
    asmt = str(tmp_path / 'asmt')
    failed = run(shm_backup, {'namespaces': ['test'], 'path': asmt, 'compress': True})[0]
    assert not failed
    os.unlink(os.path.join(asmt, 'fastrestart-i0-test.manifest.json'))
    in_progress = str(tmp_path / 'in_progress')
    os.mkdir(in_progress, 0o700)
    with open(os.path.join(in_progress, 'fastrestart-i0-test.in-progress'), 'w') as handle:
        handle.write('{"host": "db1", "started": "2026-01-31T12:00:00Z", "boot_id": "x"}\n')
    empty = str(tmp_path / 'empty')
    os.mkdir(empty, 0o700)
    missing = str(tmp_path / 'missing')
    invalid = str(tmp_path / 'invalid')
    os.mkdir(invalid, 0o700)
    with open(os.path.join(invalid, 'fastrestart-i0-test.manifest.json'), 'w') as handle:
        handle.write('{not json')

    failed, result = run(shm_info, {'paths': [complete, asmt, in_progress, empty, missing, invalid]})

    assert not failed, result['msg']
    states = [(b['path'], b['exists'], b['state']) for b in result['backups']]
    assert states == [(complete, True, 'complete'), (asmt, True, 'asmt'), (in_progress, True, 'in_progress'),
                      (empty, True, 'empty'), (missing, False, 'missing'), (invalid, True, 'invalid')]
    folder = result['backups'][0]
    assert folder['same_boot'] is True and folder['boot_id'] == _boot_id()
    assert folder['bytes'] == 7 * 4096
    assert folder['filesystem'] and folder['volatile'] is False and folder['free_bytes'] > 0
    by_name = dict((n['namespace'], n) for n in folder['namespaces'])
    assert sorted(by_name) == ['bar', 'test']
    test = by_name['test']
    assert test['state'] == 'complete' and test['compressed'] is False
    assert test['bytes'] == test['file_bytes'] == 4 * 4096
    assert test['manifest'] == backup['manifests'][1] or test['manifest'] == backup['manifests'][0]
    assert sorted(test['files']) == ['ad001000.dat', 'ae001000.dat', 'ae001001.dat', 'ae001100.dat']
    assert test['boot_id'] == _boot_id() and test['host'] == result['hostname'] and test['time']
    old = result['backups'][1]
    assert [(n['namespace'], n['state'], n['compressed'], n['manifest']) for n in old['namespaces']] == [
        ('test', 'asmt', True, None)]
    assert old['same_boot'] is None and old['boot_id'] is None
    assert result['backups'][2]['namespaces'][0]['host'] == 'db1'
    assert result['backups'][5]['namespaces'][0]['error']
    assert result['backups'][4]['namespaces'] == [] and result['backups'][4]['free_bytes'] > 0

    failed, filtered = run(shm_info, {'paths': [complete], 'namespaces': ['bar']})
    assert not failed
    assert [n['namespace'] for n in filtered['backups'][0]['namespaces']] == ['bar']
    assert [n['namespace'] for n in filtered['namespaces']] == ['bar']


@pytest.fixture
def without_sysv_ipc(monkeypatch):
    """Make `import sysv_ipc` fail, as on a host without the library, and reload the backend that imports it."""
    real_import = builtins.__import__

    def blocking_import(name, *args, **kwargs):
        if name == 'sysv_ipc' or name.startswith('sysv_ipc.'):
            raise ImportError('No module named %r (blocked by the test)' % name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delenv(_sysv.BACKEND_ENV, raising=False)
    monkeypatch.setattr(builtins, '__import__', blocking_import)
    importlib.reload(_sysv_sysvipc)
    assert not _sysv_sysvipc.HAS_SYSV_IPC
    yield
    monkeypatch.setattr(builtins, '__import__', real_import)
    importlib.reload(_sysv_sysvipc)
    assert _sysv_sysvipc.HAS_SYSV_IPC


def test_shm_info_reports_sysv_ipc_where_installed(run, shm, monkeypatch):
    monkeypatch.delenv(_sysv.BACKEND_ENV, raising=False)
    shm.make_set(stages=1)
    failed, result = run(shm_info, {})
    assert not failed and result['sysv_backend'] == 'sysv_ipc'
    assert result['namespaces'][0]['namespace'] == 'test'


def test_shm_info_without_sysv_ipc_uses_ctypes(run, shm, without_sysv_ipc):
    shm.make_set(stages=1)
    failed, result = run(shm_info, {})
    assert not failed and result['sysv_backend'] == 'ctypes'
    # the names come from attaching the segments: ctypes did that
    assert [n['namespace'] for n in result['namespaces']] == ['test']
    assert result['namespaces'][0]['clean_shutdown'] is True


@pytest.mark.parametrize('module, args', [
    (shm_backup, {'namespaces': ['test'], 'path': '/nonexistent/backup'}),
    (shm_restore, {'namespaces': ['test'], 'path': '/nonexistent'}),
    (shm_verify, {'path': '/nonexistent'}),
    (shm_segments, {'namespace': 'test', 'state': 'absent'}),
])
def test_no_module_requires_sysv_ipc(run, shm, without_sysv_ipc, module, args):
    shm.make_set(stages=1)
    result = run(module, args, check_mode=True)[1]
    assert 'sysv_ipc' not in result['msg']
    assert 'exception' not in result


@pytest.mark.parametrize('module, args', [
    (shm_info, {}),
    (shm_backup, {'namespaces': ['test'], 'path': '/nonexistent'}),
    (shm_restore, {'namespaces': ['test'], 'path': '/nonexistent'}),
    (shm_verify, {'path': '/nonexistent'}),
    (shm_segments, {'namespace': 'test', 'state': 'absent'}),
])
def test_every_module_fails_when_asked_for_a_missing_sysv_ipc(run, without_sysv_ipc, monkeypatch, module, args):
    monkeypatch.setenv(_sysv.BACKEND_ENV, 'sysv_ipc')
    failed, result = run(module, args)
    assert failed
    assert 'Failed to import the required Python library (sysv_ipc)' in result['msg']
    assert 'FASTRESTART_SYSV_BACKEND=sysv_ipc asks for it' in result['msg']
    assert 'blocked by the test' in result['exception']


@pytest.mark.parametrize('module, args', [
    (shm_info, {}),
    (shm_backup, {'namespaces': ['test'], 'path': '/nonexistent'}),
])
def test_an_unknown_backend_fails_clearly(run, monkeypatch, module, args):
    monkeypatch.setenv(_sysv.BACKEND_ENV, 'posix')
    failed, result = run(module, args)
    assert failed
    assert result['msg'] == 'FASTRESTART_SYSV_BACKEND=posix names no System V backend: use ctypes or sysv_ipc, or unset it'
    assert 'exception' not in result


SYSTEM_PYTHON = '/usr/bin/python3'


def _system_python_lacks_sysv_ipc():
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, '-c', 'import sysv_ipc'], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
    return probe.returncode != 0


@pytest.mark.skipif(not _system_python_lacks_sysv_ipc(), reason='needs %s without sysv_ipc' % SYSTEM_PYTHON)
def test_shm_info_on_the_distributions_python(shm, tmp_path):
    """The real module, shipped by ansible to the system's python3 that has no sysv_ipc, reads the segments."""
    shm.make_set(stages=2)
    # The collection under test, wherever this checkout is.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_sysv.__file__))))
    (tmp_path / 'ansible_collections' / 'fastrestart').mkdir(parents=True)
    (tmp_path / 'ansible_collections' / 'fastrestart' / 'aerospike').symlink_to(root)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_NOCOLOR='1', ANSIBLE_DEPRECATION_WARNINGS='0', ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    env.pop(_sysv.BACKEND_ENV, None)
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    proc = subprocess.run([ansible, 'localhost', '-m', 'fastrestart.aerospike.shm_info',
                           '-e', 'ansible_python_interpreter=%s' % SYSTEM_PYTHON],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith('localhost | SUCCESS => ')
    result = json.loads(proc.stdout.split(' => ', 1)[1])
    assert result['sysv_backend'] == 'ctypes'
    assert [(n['namespace'], n['segment_count'], n['clean_shutdown']) for n in result['namespaces']] == [('test', 4, True)]


def test_backup_root_lists_its_folders_newest_first(shm, run, tmp_path):
    shm.make_set(stages=1, stripes=1)
    root = tmp_path / 'root'
    root.mkdir()
    for age, name in ((30, 'b-old'), (10, 'a-new'), (20, 'c-middle')):
        folder = root / name
        folder.mkdir()
        stamp = 1700000000 - age
        os.utime(str(folder), (stamp, stamp))
    (root / '.hidden').mkdir()
    (root / 'a-file').write_text(u'not a folder')
    os.symlink(str(root / 'a-new'), str(root / 'z-link'))

    failed, result = run(shm_info, {'backup_root': str(root)})

    assert not failed, result['msg']
    assert [b['path'] for b in result['backups']] == [str(root / n) for n in ('a-new', 'c-middle', 'b-old')]
    assert [b['state'] for b in result['backups']] == ['empty'] * 3


def test_backup_root_missing_is_no_backups_and_a_file_fails(shm, run, tmp_path):
    failed, result = run(shm_info, {'backup_root': str(tmp_path / 'missing')}, check_mode=True)
    assert not failed, result['msg']
    assert result['backups'] == []

    (tmp_path / 'file').write_text(u'x')
    failed, result = run(shm_info, {'backup_root': str(tmp_path / 'file')})
    assert failed and 'is not a folder' in result['msg']

    failed, result = run(shm_info, {'backup_root': str(tmp_path), 'paths': [str(tmp_path)]})
    assert failed and 'mutually exclusive' in result['msg']
