# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_asd_unit: `systemctl show` of asd's unit and the verdict on its last stop."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_log
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_unit

__metaclass__ = type

SHOW = """LoadState=loaded
ActiveState=inactive
SubState=dead
Result=%s
ExecMainStatus=0
Environment=%s
TimeoutStopUSec=15s
UnitFileState=disabled
FragmentPath=/lib/systemd/system/aerospike.service
DropInPaths=/run/systemd/system/aerospike.service.d/50-fastrestart-stop.conf
"""


def test_show_argv_names_every_property():
    argv = _asd_unit.show_argv('aerospike')
    assert argv[:2] == ['systemctl', 'show'] and argv[-1] == 'aerospike'
    assert '--property=Result' in argv and '--property=Environment' in argv


def test_parse_show():
    unit = _asd_unit.parse_show('aerospike', SHOW % ('success', 'ASD_CONFIG_FILE=/etc/aerospike/aerospike.conf'))
    assert (unit.load_state, unit.active_state, unit.result, unit.timeout_stop) == ('loaded', 'inactive', 'success', '15s')
    assert unit.unit_file_state == 'disabled'
    assert unit.drop_in_paths == ['/run/systemd/system/aerospike.service.d/50-fastrestart-stop.conf']
    assert unit.cold_start_forced is False


def test_a_cold_start_drop_in_is_seen():
    unit = _asd_unit.parse_show('aerospike', SHOW % ('success', 'ASD_CONFIG_FILE=/x ASD_OPTIONS=--cold-start'))
    assert unit.cold_start_forced is True


def _stop(outcome):
    return _asd_log.StopReport(outcome, outcome == 'clean', _asd_log.STOP_REASONS[outcome], [])


def test_clean_needs_both_the_log_and_the_result():
    unit = _asd_unit.parse_show('aerospike', SHOW % ('success', ''))
    assert _asd_unit.stop_verdict(unit, _stop('clean')) == (True, _asd_log.STOP_REASONS['clean'])
    assert _asd_unit.stop_verdict(unit, _stop('interrupted'))[0] is False


def test_a_timeout_is_never_clean_and_says_why():
    unit = _asd_unit.parse_show('aerospike', SHOW % ('timeout', ''))
    clean, reason = _asd_unit.stop_verdict(unit, _stop('clean'))
    assert clean is False
    assert 'Result=timeout' in reason and 'SIGKILL' in reason and '15s' in reason


def test_without_systemd_the_log_decides():
    assert _asd_unit.stop_verdict(None, _stop('failed')) == (False, _asd_log.STOP_REASONS['failed'])
