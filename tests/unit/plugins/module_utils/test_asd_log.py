# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_asd_log: the log sinks of aerospike.conf, the source chosen, warm or cold per namespace, clean stops.

The lines are those asd writes for a warm and a cold start and a clean stop, as sim/asd_sim.py writes them too.
"""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_log

__metaclass__ = type

T = 'Dec 03 2026 10:11:12 GMT: '
BANNER = T + 'INFO (as): (as.c:320) <><><><><><><><><><>  Aerospike Enterprise Edition build 7.1.0.0  <><><><><><><><><><>'
WARM = T + 'INFO (namespace): (namespace_ee.c:361) {%s} beginning warm restart'
COOL = T + 'INFO (namespace): (namespace_ee.c:361) {%s} beginning cool restart'
COLD_REASON = T + 'INFO (namespace): (namespace_ee.c:200) {%s} clean shutdown flag not set - will cold start'
COLD = T + 'INFO (namespace): (namespace_ee.c:366) {%s} beginning cold start'
READY = T + 'INFO (as): (as.c:450) service ready: soon there will be cake!'
SIGTERM = T + 'INFO (as): (signal.c:185) SIGTERM received, shutting down Aerospike Enterprise Edition build 7.1.0.0'
INITIATING = T + 'INFO (as): (as.c:460) initiating clean shutdown ...'
FINISHED = T + 'INFO (as): (as.c:469) finished clean shutdown - exiting'
FAILED = T + 'WARNING (as): (as.c:471) failed clean shutdown - exiting'
INCOMPLETE = T + 'WARNING (as): (signal.c:190) startup was not complete, exiting immediately'

PACKAGED = """
# Aerospike database configuration file for use with systemd.
service {
    proto-fd-max 15000
}
logging {
    console {
        context any info
    }
}
namespace test {
    index-type shmem
}
"""

WITH_FILE = """
logging {
    # file /var/log/old.log { context any info }
    file /var/log/aerospike/aerospike.log {
        context any info
    }
    file /var/log/aerospike/audit.log { context audit info }
}
namespace file { replication-factor 2 }
"""


def test_packaged_config_logs_to_the_console_only():
    assert _asd_log.log_sinks(PACKAGED) == (True, [])


def test_file_sinks_in_order_and_comments_ignored():
    assert _asd_log.log_sinks(WITH_FILE) == (False, ['/var/log/aerospike/aerospike.log', '/var/log/aerospike/audit.log'])


def test_a_namespace_called_file_is_not_a_sink():
    assert _asd_log.log_sinks('namespace file {\n}\nlogging { console { } }\n') == (True, [])


def test_auto_reads_the_journal_for_a_console_sink_under_systemd():
    source = _asd_log.choose_source('auto', None, PACKAGED, systemd=True)
    assert (source.kind, source.path) == ('journal', None)
    assert 'console' in source.reason


def test_auto_reads_the_configured_file_even_under_systemd():
    source = _asd_log.choose_source('auto', None, WITH_FILE, systemd=True)
    assert (source.kind, source.path) == ('file', '/var/log/aerospike/aerospike.log')


def test_log_file_given_wins():
    assert _asd_log.choose_source('auto', '/x.log', PACKAGED).path == '/x.log'


def test_no_file_sink_and_no_systemd_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match='give log_file'):
        _asd_log.choose_source('auto', None, PACKAGED, systemd=False)
    with pytest.raises(ValueError, match='no file sink'):
        _asd_log.choose_source('file', None, PACKAGED)


def test_journal_argv_is_the_current_boot_of_the_unit():
    assert _asd_log.journal_argv('aerospike', 50) == ['journalctl', '-u', 'aerospike', '-b', '-o', 'cat', '--no-pager', '-n', '50']


def test_only_the_last_start_counts():
    lines = [BANNER, COLD_REASON % 'test', COLD % 'test', READY, SIGTERM, INITIATING, FINISHED,
             BANNER, WARM % 'test', WARM % 'bar', READY]
    start = _asd_log.read_start(lines)
    assert start.found and start.ready and start.build == '7.1.0.0'
    assert start.kinds == {'bar': 'warm', 'test': 'warm'}
    assert start.lines == [BANNER, WARM % 'test', WARM % 'bar']


def test_any_cold_line_makes_a_namespace_cold_and_a_silent_one_unknown():
    lines = [BANNER, COLD_REASON % 'test', COLD % 'test', COOL % 'bar']
    start = _asd_log.read_start(lines, ['test', 'bar', 'other'])
    assert start.kinds == {'test': 'cold', 'bar': 'cool', 'other': 'unknown'}
    assert not start.ready


def test_journal_prefix_and_other_units_lines_do_not_confuse_it():
    lines = ['Started aerospike.service - Aerospike Server.', 'h1 asd[42]: ' + BANNER, 'h1 asd[42]: ' + WARM % 'test']
    assert _asd_log.read_start(lines).kinds == {'test': 'warm'}


def test_no_banner_means_no_start():
    start = _asd_log.read_start(['something else'], ['test'])
    assert not start.found and start.kinds == {'test': 'unknown'}
    assert _asd_log.read_stop([]).outcome == 'no-start'


@pytest.mark.parametrize('tail, outcome', [
    ([SIGTERM, INITIATING, FINISHED], 'clean'),
    ([SIGTERM, INITIATING, FAILED], 'failed'),
    ([SIGTERM, INCOMPLETE], 'startup-incomplete'),
    ([SIGTERM, INITIATING], 'interrupted'),
    ([], 'running'),
])
def test_stop_outcomes(tail, outcome):
    stop = _asd_log.read_stop([BANNER, WARM % 'test', READY] + tail)
    assert stop.outcome == outcome
    assert stop.clean is (outcome == 'clean')
    assert stop.reason == _asd_log.STOP_REASONS[outcome]
    assert stop.lines == tail


def test_a_clean_stop_before_a_later_start_does_not_count():
    stop = _asd_log.read_stop([BANNER, READY, SIGTERM, INITIATING, FINISHED, BANNER, READY, SIGTERM, INITIATING])
    assert stop.outcome == 'interrupted'


def test_tail_reads_the_last_lines_across_blocks(tmp_path):
    path = tmp_path / 'asd.log'
    path.write_text(''.join('line %d\n' % n for n in range(5000)))
    assert _asd_log.tail(str(path), 3, block=64) == ['line 4997', 'line 4998', 'line 4999']
    assert len(_asd_log.tail(str(path), 0)) == 5000
