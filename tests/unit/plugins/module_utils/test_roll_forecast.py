# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Forecasting a roll from the last roll's report, or from defaults."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_forecast

__metaclass__ = type

GIB = 1 << 30
REPORT = {'reports': [
    {'host': 'h1', 'bytes': 2 * GIB,
     'timings': {'stop': 4.0, 'backup': 2.0, 'reboot': 20.0, 'restore': 1.0, 'warm_start': 3.0, 'rejoin': 5.0}},
    {'host': 'h2', 'bytes': 2 * GIB,
     'timings': {'stop': 6.0, 'backup': 2.0, 'reboot': 30.0, 'restore': 1.0, 'warm_start': 3.0, 'rejoin': 7.0}},
    {'host': 'h3', 'bytes': 0, 'timings': {}},
]}


def test_takes_medians_and_rates_from_the_last_report():
    model = _roll_forecast.step_model(REPORT)

    assert model['source'] == "the last roll's report (2 hosts)"
    assert model['seconds']['stop'] == 5.0 and model['seconds']['reboot'] == 25.0
    assert model['rates'] == {'backup': GIB, 'restore': 2 * GIB}
    assert _roll_forecast.host_seconds(model, 4 * GIB) == {'stop': 5.0, 'backup': 4.0, 'reboot': 25.0, 'restore': 2.0,
                                                           'warm_start': 3.0, 'rejoin': 6.0}


def test_without_a_report_uses_defaults():
    assert _roll_forecast.step_model(None)['source'].startswith('defaults')


def test_a_batch_wider_than_forks_takes_turns():
    model = _roll_forecast.step_model(REPORT)
    batches = [{'rack': 1, 'hosts': ['a%d' % n for n in range(10)]}]
    sizes = dict(('a%d' % n, 0) for n in range(10))

    narrow = _roll_forecast.forecast(batches, sizes, model, forks=5, mode='rack', gate_seconds=10)
    wide = _roll_forecast.forecast(batches, sizes, model, forks=10, mode='rack', gate_seconds=10)

    assert narrow['batches'] == [{'rack': 1, 'hosts': 10, 'turns': 2, 'seconds': 2 * 39.0 + 10}]
    assert wide['total_seconds'] == 49.0 and narrow['forks_short'] and not wide['forks_short']


def test_300_hosts_in_3_racks_on_paper():
    """The README's figures: 300 hosts of 100 GiB, defaults, by rack with forks 100 against node by node."""
    model = _roll_forecast.step_model(None)
    hosts = ['n%03d' % n for n in range(300)]
    sizes = dict((host, 100 * GIB) for host in hosts)
    racks = [{'rack': r + 1, 'hosts': hosts[r * 100:(r + 1) * 100]} for r in range(3)]
    serial = [{'rack': None, 'hosts': [host]} for host in hosts]

    by_rack = _roll_forecast.forecast(racks, sizes, model, forks=100, mode='rack')
    by_node = _roll_forecast.forecast(serial, sizes, model, forks=5, mode='node')
    by_rack_5 = _roll_forecast.forecast(racks, sizes, model, forks=5, mode='rack')

    cycle = sum(_roll_forecast.host_seconds(model, 100 * GIB).values())
    assert by_node['total_seconds'] == round(300 * (cycle + 5.0), 1)
    assert by_rack['total_seconds'] == round(3 * (cycle + 20.0), 1)
    assert by_rack_5['total_seconds'] == round(3 * (20 * cycle + 20.0), 1)
    assert _roll_forecast.describe(by_rack)[1] == '3 batches, 3 turns with forks 100: about 27 min 23 s in all (1643 s).'


def test_advises_a_fill_delay_above_a_racks_downtime():
    model = _roll_forecast.step_model(REPORT)
    result = _roll_forecast.forecast([{'rack': 1, 'hosts': ['a', 'b']}], {}, model, forks=5, mode='rack',
                                     gate_seconds=11)
    assert _roll_forecast.fill_delay_advice(result, 0) == (
        'Fill migrations: a rack is down for about 50 s; -e rolling_reboot_migrate_fill_delay=100 defers the '
        'migrations that refill its copies elsewhere until it is back (restored after the roll).')
    assert 'is below the 50 s' in _roll_forecast.fill_delay_advice(result, 30)
    assert 'set to 120 s on every node for the roll' in _roll_forecast.fill_delay_advice(result, 120)
