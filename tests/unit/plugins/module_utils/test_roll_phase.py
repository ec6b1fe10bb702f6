# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a host resumes a roll's cycle, from shm_info's description of it."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_phase

__metaclass__ = type

ROOT = '/var/backups/aerospike/'
LIVE = [{'namespace': 'test', 'bytes': 100}, {'namespace': 'bar', 'bytes': 20}]


def _backup(name, state='complete', same_boot=False, size=70):
    return {'path': ROOT + name, 'state': state, 'same_boot': same_boot, 'bytes': size}


def _decide(running, live, backups, cycle='', named='c2'):
    return _roll_phase.decide({'namespaces': live, 'backups': backups, 'boot_id': 'b1'}, running, cycle, ROOT, named,
                              '101500')


def test_a_running_host_runs_the_whole_cycle_into_a_new_folder():
    assert _decide(True, LIVE, [_backup('c1')]) == {
        'phase': 'full', 'folder': ROOT + 'c2', 'bytes': 120, 'boot_before': 'b1'}


def test_a_running_host_whose_named_cycle_completed_before_a_reboot_is_done():
    assert _decide(True, LIVE, [_backup('c2')], cycle='c2')['phase'] == 'done'
    assert _decide(True, LIVE, [_backup('c2', same_boot=True)], cycle='c2')['phase'] == 'full'
    assert _decide(True, LIVE, [_backup('c2')], cycle='')['phase'] == 'full'


def test_a_taken_folder_name_gets_the_time():
    assert _decide(True, LIVE, [_backup('c2', same_boot=True)], cycle='c2')['folder'] == ROOT + 'c2-101500'


@pytest.mark.parametrize('live, backups, phase, folder', [
    # Rebooted after a complete backup: restore it.
    ([], [_backup('c1')], 'restore', 'c1'),
    # Segments still there but the backup names another boot: the reboot happened (segments made since).
    (LIVE, [_backup('c1')], 'restore', 'c1'),
    # Stopped cleanly with the segments in memory, no backup yet or only one of this boot: back up.
    (LIVE, [], 'backup', 'c2'),
    (LIVE, [_backup('c1', same_boot=True)], 'backup', 'c2'),
    # An interrupted backup after a complete one: the complete one is not the latest.
    (LIVE, [_backup('c3', state='in_progress'), _backup('c1')], 'backup', 'c2'),
    # Nothing left to restore: a cold start.
    ([], [_backup('c1', state='in_progress')], 'lost', 'c2'),
    ([], [], 'lost', 'c2'),
])
def test_a_stopped_host_resumes_where_it_stood(live, backups, phase, folder):
    result = _decide(False, live, backups)
    assert (result['phase'], result['folder']) == (phase, ROOT + folder)


def test_the_bytes_are_the_segments_or_else_the_backup():
    assert _decide(False, [], [_backup('c1', size=70)])['bytes'] == 70
