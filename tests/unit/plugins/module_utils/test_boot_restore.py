# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_boot_restore: the boot-id chain, the clean-stop verdict, the time bound and retention."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_log
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_unit
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _boot_restore as rules
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _info

__metaclass__ = type

B1, B2, B3 = 'b1b1b1b1-0000-4000-8000-000000000001', 'b2b2b2b2-0000-4000-8000-000000000002', \
    'b3b3b3b3-0000-4000-8000-000000000003'
BANNER = 'INFO (as): (as.c:1) <><><><><><><><><><>  Aerospike Enterprise Edition build 7.1.0.0  <><><><><><><><><><>'
CLEAN = [BANNER, '{test} beginning warm restart', 'service ready: soon there will be cake!',
         'SIGTERM received, shutting down', 'initiating clean shutdown ...', 'finished clean shutdown - exiting']


def unit(result='success', active='inactive'):
    return _asd_unit.Unit('aerospike', 'loaded', active, 'dead', result, '0', '', '15s', 'enabled',
                          '/lib/systemd/system/aerospike.service', [], False)


def facts(boot, state='complete', nbytes=4096):
    return {'state': state, 'boot_id': boot, 'bytes': nbytes,
            'namespaces': [{'namespace': 'test', 'boot_id': boot, 'state': state}]}


def shutdown(boot, result='backed-up', reason='asd stopped cleanly', folder='/b/1'):
    return {'boot_id': boot, 'result': result, 'reason': reason, 'folder': folder}


def start(state, current, journal_previous=None, held=None, folder_facts=None, live=0):
    return rules.start_decision(state, current, journal_previous, held, folder_facts, live)


# ----------------------------------------------------------------------------------------------
# the boot-id chain

def test_restores_the_backup_the_previous_boot_took_at_its_shutdown():
    state = {'boot': {'id': B1}, 'shutdown': shutdown(B1)}
    verdict = start(state, B2, journal_previous=B1.replace('-', ''), folder_facts=facts(B1))
    assert verdict.action == 'restore'
    assert verdict.details == {'folder': '/b/1', 'namespaces': ['test'], 'bytes': 4096}


def test_first_boot_and_restart_in_the_same_boot_restore_nothing():
    assert start({}, B1).action == 'none'
    assert 'no boot recorded' in start({}, B1).reason
    state = {'boot': {'id': B1}, 'shutdown': shutdown(B1)}
    assert 'already started in this boot' in start(state, B1, folder_facts=facts(B1)).reason


def test_stale_backup_of_boot_1_never_restored_in_boot_3_after_boot_2_ran_asd():
    # Boot 1 backed up; boot 2 restored it, ran asd, and its stop was unclean: no backup.
    state = {'boot': {'id': B2, 'previous': B1}, 'shutdown': shutdown(B2, 'skipped', 'asd was killed')}
    verdict = start(state, B3, journal_previous=B2, folder_facts=facts(B1))
    assert verdict.action == 'none' and 'took no backup: asd was killed' in verdict.reason


def test_stale_backup_never_restored_when_the_service_missed_a_boot():
    # The service did not run in boot 2 (disabled, or removed and reinstalled): its record still says
    # boot 1, whose shutdown backed up. The journal's previous boot is boot 2, which breaks the chain.
    state = {'boot': {'id': B1}, 'shutdown': shutdown(B1)}
    verdict = start(state, B3, journal_previous=B2.replace('-', ''), folder_facts=facts(B1))
    assert verdict.action == 'none' and 'did not run in it' in verdict.reason


def test_a_backup_whose_manifests_name_another_boot_is_stale():
    state = {'boot': {'id': B2}, 'shutdown': shutdown(B2)}
    verdict = start(state, B3, folder_facts=facts(B1))
    assert verdict.action == 'none' and 'a stale index is never restored' in verdict.reason
    mixed = facts(B2)
    mixed['namespaces'].append({'namespace': 'bar', 'boot_id': B1, 'state': 'complete'})
    assert 'namespaces bar' in start(state, B3, folder_facts=mixed).reason


@pytest.mark.parametrize('state, folder_facts, live, expected', [
    ({'boot': {'id': B1}}, None, 0, 'recorded no shutdown'),
    ({'boot': {'id': B1}, 'shutdown': shutdown(B2)}, facts(B1), 0, 'recorded no shutdown'),
    ({'boot': {'id': B1}, 'shutdown': shutdown(B1)}, facts(B1, 'in_progress'), 0, 'is not complete (state in_progress)'),
    ({'boot': {'id': B1}, 'shutdown': shutdown(B1)}, None, 0, 'is not complete (state missing)'),
    ({'boot': {'id': B1}, 'shutdown': shutdown(B1)}, facts(B1), 3, '3 segments of the instance already exist'),
])
def test_no_restore(state, folder_facts, live, expected):
    verdict = start(state, B2, folder_facts=folder_facts, live=live)
    assert verdict.action == 'none' and expected in verdict.reason


def test_hold_stops_the_restore():
    state = {'boot': {'id': B1}, 'shutdown': shutdown(B1)}
    verdict = start(state, B2, held={'by': 'rolling_reboot', 'cycle': 'c1'}, folder_facts=facts(B1))
    assert verdict.action == 'none' and 'rolling_reboot holds the service (c1)' in verdict.reason


def test_previous_boot_from_list_boots():
    text = ('IDX BOOT ID                          FIRST ENTRY                 LAST ENTRY\n'
            ' -2 aaaa Tue 2026-12-01 10:00:00 UTC Tue 2026-12-01 10:01:00 UTC\n'
            ' -1 bbbb Tue 2026-12-01 10:02:00 UTC Tue 2026-12-01 10:03:00 UTC\n'
            '  0 cccc Tue 2026-12-01 10:04:00 UTC Tue 2026-12-01 10:05:00 UTC\n')
    assert rules.previous_boot_from_list(text) == 'bbbb'
    assert rules.previous_boot_from_list('  0 cccc Tue\n') is None
    assert rules.same_boot('b1b1b1b1000040008000000000000001', B1) and not rules.same_boot(None, None)


# ----------------------------------------------------------------------------------------------
# shutdown: the clean-stop verdict and the time bound

def stop(asd=None, lines=None, held=None, nbytes=256 << 20, rate=200e6, limit=300, timeout=120.0, free=10 << 30,
         reserve=100 << 20):
    lines = CLEAN if lines is None else lines
    return rules.stop_decision(unit() if asd is None else asd, _asd_log.read_stop(lines), held, nbytes, rate, limit,
                               timeout, free, reserve)


def test_clean_stop_backs_up_with_its_estimate():
    verdict = stop()
    assert verdict.action == 'backup' and 'asd stopped cleanly' in verdict.reason
    assert verdict.details['estimate_seconds'] == round((256 << 20) / 200e6 * rules.SAFETY + rules.FIXED_SECONDS, 2)


@pytest.mark.parametrize('kwargs, expected', [
    ({'asd': unit('signal')}, 'Result=signal'),
    ({'asd': unit('timeout')}, 'Result=timeout'),
    ({'lines': CLEAN[:-1]}, 'began its shutdown but never logged'),
    ({'lines': CLEAN[:3]}, 'logged no shutdown since its last start'),
    ({'lines': []}, 'logged no start'),
    ({'asd': unit(active='active')}, 'is active: this is no shutdown'),
])
def test_unclean_stop_takes_no_backup_and_says_the_next_start_is_cold(kwargs, expected):
    verdict = stop(**kwargs)
    assert verdict.action == 'skip' and expected in verdict.reason
    assert 'cold' in verdict.reason or 'running index' in verdict.reason


def test_backup_skipped_when_it_cannot_fit_the_limit_the_timeout_or_the_space():
    assert 'more than the 60 s' in stop(nbytes=10 << 30, limit=60).reason
    assert 'more than the 20 s' in stop(nbytes=10 << 30, timeout=20.0).reason
    # Unknown timeout (infinity): only the operator's limit counts.
    assert stop(nbytes=10 << 30, rate=1e9, timeout=None, free=100 << 30).action == 'backup'
    assert 'bytes free' in stop(free=200 << 20).reason
    assert 'nothing to back up' in stop(nbytes=0).reason
    assert stop(held={'by': 'rolling_reboot', 'cycle': 'c'}).action == 'skip'


def test_stop_timeout_from_the_estimate_never_above_the_limit():
    assert rules.stop_timeout(1 << 20, 200e6, 300) == rules.MIN_TIMEOUT
    big = rules.stop_timeout(8 << 30, 200e6, 600)
    assert big == int(-(-rules.estimate_seconds(8 << 30, 200e6) * rules.TIMEOUT_GROWTH // 1))
    assert rules.stop_timeout(64 << 30, 200e6, 300) == 300


def test_measured_rate_replaces_the_assumed_one():
    assert rules.measured_rate({}, 5) == 5
    assert rules.measured_rate({'last_backup': {'rate': 7}}, 5) == 7


@pytest.mark.parametrize('text, seconds', [('15s', 15), ('5min', 300), ('1min 30s', 90), ('500ms', 0.5),
                                           ('1h 2min', 3720), ('infinity', None), ('', None), ('3x', None)])
def test_parse_timespan(text, seconds):
    assert rules.parse_timespan(text) == seconds


def test_needed_limits_only_where_higher():
    plan_facts = {'kernel_limits': {'shmmax': 1 << 20, 'shmall': 1 << 30, 'shmmni': 10},
                  'required_limits': {'shmmax': 4 << 20, 'shmall': 2048, 'shmmni': 12}}
    assert rules.needed_limits(plan_facts) == {'shmmax': 4 << 20, 'shmmni': 12}


# ----------------------------------------------------------------------------------------------
# retention and the report

def test_older_backups_go_only_after_a_confirmed_warm_start():
    folders = ['/b/3', '/b/2', '/b/1', '/b/0']
    assert rules.to_remove(folders, confirmed=False) == []
    assert rules.to_remove(folders, confirmed=True) == ['/b/1', '/b/0']
    assert rules.to_remove(folders[:2], confirmed=True) == []
    warm = _asd_log.read_start(CLEAN)
    cold = _asd_log.read_start([BANNER, '{test} beginning cold start'])
    assert rules.warm_confirmed(warm) and not rules.warm_confirmed(cold)
    assert not rules.warm_confirmed(_asd_log.read_start([]))


def test_report_and_files(tmp_path):
    assert rules.report({}, None) is None
    path = str(tmp_path / 'sub' / 'state.json')
    rules.save_json(path, {'boot': {'id': B2, 'previous': B1}, 'shutdown': shutdown(B1), 'backups': [{'folder': '/b/1'}]})
    report = rules.report(rules.load_json(path), {'by': 'rolling_reboot'})
    assert report['boot_id'] == B2 and report['previous_boot_id'] == B1 and report['held']
    assert report['last_shutdown']['result'] == 'backed-up' and report['backups'] == ['/b/1']
    assert rules.load_json(str(tmp_path / 'missing'), 'x') == 'x'
    (tmp_path / 'list.json').write_text('[1]')
    assert rules.load_json(str(tmp_path / 'list.json')) is None
    assert rules.load_config(str(tmp_path / 'missing'))['shutdown_limit'] == rules.DEFAULTS['shutdown_limit']
    assert rules.folder_name('20261203T101112Z', B1) == '20261203T101112Z-b1b1b1b10000'


def test_shm_info_reads_the_state_and_the_hold_beside_it(tmp_path):
    path = str(tmp_path / 'boot-restore.json')
    assert _info.boot_restore_facts(path) is None and _info.boot_restore_facts(None) is None
    rules.save_json(path, {'boot': {'id': B1}, 'restore': {'result': 'restored', 'bytes': 4096}})
    assert _info.boot_restore_facts(path)['last_restore']['result'] == 'restored'
    assert _info.boot_restore_facts(path)['held'] is False
    rules.save_json(str(tmp_path / 'boot-restore.hold'), {'by': 'rolling_reboot', 'cycle': 'c'})
    assert _info.boot_restore_facts(path)['hold'] == {'by': 'rolling_reboot', 'cycle': 'c'}
