# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 9 through the modules: refusals in check mode, signals, and the truth about changed."""

from __future__ import absolute_import, division, print_function

import os
import signal

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _engine
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_backup
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_restore
from ansible_collections.fastrestart.aerospike.tests.unit.plugins.modules.utils import killed_restore
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_verify

__metaclass__ = type

NOBODY = 65534


@pytest.fixture
def survive_sigterm():
    """Old modules die of SIGTERM; record it instead, so the test can see what was left."""
    seen = []
    saved = signal.signal(signal.SIGTERM, lambda n, f: seen.append(n))
    yield seen
    signal.signal(signal.SIGTERM, saved)


def sigterm_on_first_progress(monkeypatch):
    original = _engine.Engine.advance
    fired = []

    def advance(self, nbytes):
        if not fired:
            fired.append(os.kill(os.getpid(), signal.SIGTERM))
        return original(self, nbytes)
    monkeypatch.setattr(_engine.Engine, 'advance', advance)


def test_user_owned_folder_is_refused_in_check_mode(shm, run, tmp_path):
    shm.make_set()
    bk = tmp_path / 'bk'
    assert not run(shm_backup, {'path': str(bk), 'namespaces': ['test']})[0]
    os.chown(str(bk), NOBODY, NOBODY)
    for module in (shm_backup, shm_restore):
        failed, result = run(module, {'path': str(bk), 'namespaces': ['test']}, check_mode=True)
        assert failed and 'belongs to uid %d' % NOBODY in result['msg']
        assert result['problems'][0]['code'] == 'folder-owner'


def test_sigterm_mid_shm_backup_leaves_nothing(shm, run, tmp_path, monkeypatch, survive_sigterm):
    shm.make_set(stages=3, stage_size=1 << 20)
    sigterm_on_first_progress(monkeypatch)
    failed, result = run(shm_backup, {'path': str(tmp_path / 'bk'), 'namespaces': ['test'], 'compress': True,
                                      'threads': 1})
    assert failed and 'Interrupted' in result['msg'] and result['changed'] is False
    assert not os.path.exists(str(tmp_path / 'bk'))


def test_sigterm_mid_shm_restore_leaves_nothing(shm, run, tmp_path, monkeypatch, survive_sigterm):
    shm.make_set(stages=3, stage_size=1 << 20)
    assert not run(shm_backup, {'path': str(tmp_path / 'bk'), 'namespaces': ['test']})[0]
    shm.remove_all()
    sigterm_on_first_progress(monkeypatch)
    failed, result = run(shm_restore, {'path': str(tmp_path / 'bk'), 'namespaces': ['test'], 'threads': 1})
    assert failed and 'Interrupted' in result['msg']
    assert not shm_sets.segments()


def test_changed_when_another_namespace_failed(shm, run, tmp_path):
    shm.make_set(nsid=1, name='a')
    shm.make_set(nsid=2, name='b')
    assert not run(shm_backup, {'path': str(tmp_path / 'bk'), 'namespaces': ['a', 'b']})[0]
    shm.remove_all()
    shm_sets.flip_byte(str(tmp_path / 'bk' / ('%08x.dat' % shm_sets.key(0xAE, 0, 2, 0x100))), 100)
    failed, result = run(shm_restore, {'path': str(tmp_path / 'bk'), 'namespaces': ['a', 'b']})
    assert failed and result['changed'] is True
    assert shm_sets.key(0xAE, 0, 1, 0) in shm_sets.segments()


def test_verify_reports_owner_drift(shm, run, tmp_path):
    made = shm.make_set(mode=0o600)
    assert not run(shm_backup, {'path': str(tmp_path / 'bk'), 'namespaces': ['test']})[0]
    os.chown(str(tmp_path / 'bk' / ('%08x.dat' % made['treex'])), NOBODY, NOBODY)
    failed, result = run(shm_verify, {'path': str(tmp_path / 'bk')})
    assert failed and 'the manifest records 0:0' in result['msg']


def test_remove_unfinished_through_shm_restore(shm, run, tmp_path):
    wanted = killed_restore(shm, run, str(tmp_path / 'bk'))
    failed, result = run(shm_restore, {'path': str(tmp_path / 'bk'), 'namespaces': ['test']})
    assert failed and 'remove_unfinished=true' in result['msg'] or 'remove_unfinished=true' in str(result['problems'])
    failed, result = run(shm_restore, {'path': str(tmp_path / 'bk'), 'namespaces': ['test'], 'remove_unfinished': True})
    assert not failed and result['changed'] and shm.fingerprint() == wanted
