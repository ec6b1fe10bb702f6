# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""asd_info's main() on a real log file and configuration (the journal and the unit are exercised on the fleet)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.modules import asd_info

from ansible_collections.fastrestart.aerospike.tests.unit.plugins.module_utils.test_asd_log import (
    BANNER,
    COLD,
    FINISHED,
    INITIATING,
    READY,
    SIGTERM,
    WARM,
)

__metaclass__ = type


def _files(tmp_path, lines):
    log = tmp_path / 'aerospike.log'
    log.write_text('\n'.join(lines) + '\n')
    conf = tmp_path / 'aerospike.conf'
    conf.write_text('logging {\n  file %s {\n    context any info\n  }\n}\n' % log)
    return str(conf), str(log)


def test_reads_the_file_sink_that_the_config_names(tmp_path, run):
    conf, log = _files(tmp_path, [BANNER, WARM % 'test', COLD % 'bar', READY, SIGTERM, INITIATING, FINISHED])

    failed, result = run(asd_info, {'config_file': conf, 'namespaces': ['test', 'bar']}, check_mode=True)

    assert not failed, result['msg']
    assert result['changed'] is False
    assert (result['source'], result['path']) == ('file', log)
    assert result['start']['kinds'] == {'test': 'warm', 'bar': 'cold'}
    assert (result['start']['warm'], result['start']['cold']) == (['test'], ['bar'])
    assert result['stop']['outcome'] == 'clean' and result['stop']['clean'] is True


def test_a_log_file_not_made_yet_means_no_start_and_no_stop(tmp_path, run):
    failed, result = run(asd_info, {'log_file': str(tmp_path / 'nope.log'), 'namespaces': ['test']})

    assert not failed, result['msg']
    assert result['start']['found'] is False and result['start']['cold'] == ['test']
    assert result['stop']['outcome'] == 'no-start' and result['stop']['clean'] is False
    assert any('does not exist (yet)' in warning for warning in result.get('warnings', []))


def test_an_unreadable_log_fails_with_what_to_do(tmp_path, run):
    failed, result = run(asd_info, {'log_file': str(tmp_path)})

    assert failed
    assert 'cannot read the asd log' in result['msg'] and 'source=journal' in result['msg']
