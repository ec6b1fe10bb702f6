# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_boot_restore_run: start and stop on real segments, across simulated boots.

systemctl, journalctl and the boot id are replaced; a "reboot" removes every segment, as the
kernel does. The sequences are the ones the service must get right: warm across clean reboots,
cold after a kill, and never the stale index of an earlier boot.
"""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _boot_restore as rules
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _boot_restore_run as run
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils._asd_unit import (
    Unit,
)

__metaclass__ = type

BANNER = 'INFO (as): (as.c:1) <><><><><><><><><><>  Aerospike Enterprise Edition build 7.1.0.0  <><><><><><><><><><>'
WARM = [BANNER, '{test} beginning warm restart', 'service ready: soon there will be cake!']
COLD = [BANNER, '{test} no base segment - will cold start', '{test} beginning cold start']
STOPPED = ['SIGTERM received, shutting down', 'initiating clean shutdown ...', 'finished clean shutdown - exiting']


class Host:
    """One simulated host: boot ids, asd's unit result and journal, its segments."""

    def __init__(self, shm, tmp_path, monkeypatch):
        self.shm, self.boots, self.result, self.lines = shm, [], 'success', []
        self.config = dict(rules.DEFAULTS, backup_root=str(tmp_path / 'backups'), state_file=str(tmp_path / 'state.json'),
                           hold_file=str(tmp_path / 'hold'), drop_in_dir=str(tmp_path / 'unit.d'), free_reserve_bytes=0)
        monkeypatch.setattr(_host, 'boot_id', lambda path=None: self.boots[-1])
        monkeypatch.setattr(run, 'asd_unit', self.unit)
        monkeypatch.setattr(run, 'asd_lines', lambda name: list(self.lines))
        monkeypatch.setattr(run, 'own_timeout', lambda name: 120.0)
        monkeypatch.setattr(run, 'journal_previous_boot', lambda: self.boots[-2] if len(self.boots) > 1 else None)
        self.said = []
        monkeypatch.setattr(run, 'say', self.said.append)

    def unit(self, name):
        return Unit(name, 'loaded', 'inactive', 'dead', self.result, '0', '', '15s', 'enabled', '', [], False)

    def boot(self):
        self.shm.remove_all()  # a reboot wipes shared memory
        self.boots.append('%08d-0000-4000-8000-000000000000' % len(self.boots))
        self.lines, self.result = [], 'success'
        assert run.start(self.config) == 0
        return self.state()['restore']

    def asd_runs(self, start_lines, clean=True):
        if not shm_sets.segments():
            self.shm.make_set(stages=2)
        self.lines = start_lines + (STOPPED if clean else [])
        self.result = 'success' if clean else 'signal'

    def shutdown(self):
        assert run.stop(self.config) == 0
        return self.state()['shutdown']

    def state(self):
        return rules.load_json(self.config['state_file'])


@pytest.fixture
def host(shm, tmp_path, monkeypatch):
    return Host(shm, tmp_path, monkeypatch)


def test_clean_reboots_are_warm_then_a_kill_is_cold_and_the_stale_backup_never_returns(host):
    assert host.boot()['result'] == 'none'
    host.asd_runs(COLD)
    first = host.shutdown()
    assert first['result'] == 'backed-up' and first['bytes'] > 0, host.said
    fingerprint = host.shm.fingerprint()

    restored = host.boot()
    assert restored['result'] == 'restored' and restored['bytes'] == first['bytes'], host.said
    assert host.shm.fingerprint() == fingerprint

    host.asd_runs(WARM, clean=False)  # kill -9 of asd in boot 2
    second = host.shutdown()
    assert second['result'] == 'skipped' and 'Result=signal' in second['reason']
    assert 'cold' in host.said[-1]

    third = host.boot()  # boot 3: boot 1's backup is still on disk, and never restored
    assert third['result'] == 'none' and 'took no backup' in third['reason']
    assert shm_sets.segments() == {}
    report = rules.report(host.state(), None)
    assert report['last_restore']['result'] == 'none' and report['last_backup']['boot_id'] == host.boots[0]


def test_retention_keeps_two_and_prunes_after_a_warm_start(host):
    host.boot()
    host.asd_runs(COLD)
    host.shutdown()
    for dummy in range(3):
        assert host.boot()['result'] == 'restored'
        host.asd_runs(WARM)
        host.shutdown()
    backups = host.state()['backups']
    assert len(backups) == 2 and all(os.path.isdir(b['folder']) for b in backups)
    assert sorted(os.listdir(host.config['backup_root'])) == sorted(os.path.basename(b['folder']) for b in backups)
    with open(os.path.join(host.config['drop_in_dir'], '50-stop-timeout.conf')) as handle:
        assert 'TimeoutStopSec=%d' % rules.MIN_TIMEOUT in handle.read()
    assert host.state()['last_backup']['rate'] > 0


def test_cold_start_keeps_every_backup(host):
    host.boot()
    host.asd_runs(COLD)
    host.shutdown()
    host.boot()
    host.asd_runs(COLD)  # restored, but asd started cold anyway: nothing confirms the backups
    host.shutdown()
    host.boot()
    host.asd_runs(COLD)
    host.shutdown()
    assert len(host.state()['backups']) == 3
    assert 'kept every backup' in ' '.join(host.said)


def test_hold_skips_backup_and_restore_but_keeps_the_chain(host):
    host.boot()
    host.asd_runs(COLD)
    with open(host.config['hold_file'], 'w') as handle:
        json.dump({'by': 'rolling_reboot', 'cycle': 'c1'}, handle)
    assert host.shutdown()['result'] == 'skipped'
    assert 'rolling_reboot holds' in host.boot()['reason']
    os.unlink(host.config['hold_file'])
    host.asd_runs(COLD)
    assert host.shutdown()['result'] == 'backed-up'
    assert host.boot()['result'] == 'restored'


def test_existing_segments_are_never_overwritten(host):
    host.boot()
    host.asd_runs(COLD)
    host.shutdown()
    host.boots.append('ffffffff-0000-4000-8000-000000000000')  # a "reboot" that kept shared memory
    assert run.start(host.config) == 0
    assert 'already exist' in host.state()['restore']['reason']


def test_status_tune_and_usage(host, capsys):
    host.boot()
    host.asd_runs(COLD)
    assert run.tune(host.config) == 0
    assert json.loads(host.said[-1])['stop_timeout_seconds'] == rules.MIN_TIMEOUT
    assert run.status(host.config) == 0 and json.loads(host.said[-1])['boot_id'] == host.boots[-1]
    assert run.main(['nonsense']) == 2
    assert 'usage' in capsys.readouterr().err


def test_a_core_failure_is_said_and_recorded(monkeypatch):
    said = []
    monkeypatch.setattr(run, 'say', said.append)

    def refused():
        raise run.ShmError('segments are attached')
    result, seconds, failure = run._core_run('backup', refused, 'The next start of asd will be cold')  # pylint: disable=protected-access
    assert result is None and seconds is None
    assert said == ['backup failed: segments are attached. The next start of asd will be cold']
    assert failure['result'] == 'failed' and failure['reason'] == 'segments are attached' and failure['seconds'] >= 0
    assert run._core_run('restore', lambda: {'bytes': 1}, 'x')[0] == {'bytes': 1}  # pylint: disable=protected-access
