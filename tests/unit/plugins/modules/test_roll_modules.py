# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""asd_cluster_info, roll_plan, asd_gate and asd_recluster main() against the simulated asinfo, run as a process."""

from __future__ import absolute_import, division, print_function

import json
import sys

import pytest

from ansible_collections.fastrestart.aerospike.plugins.modules import asd_cluster_info
from ansible_collections.fastrestart.aerospike.plugins.modules import asd_gate
from ansible_collections.fastrestart.aerospike.plugins.modules import asd_recluster
from ansible_collections.fastrestart.aerospike.plugins.modules import roll_plan

from ansible_collections.fastrestart.aerospike.tests.sim.fake_cluster import ASINFO, FakeCluster

__metaclass__ = type

HOSTS = ('h1', 'h2')


@pytest.fixture
def cluster(tmp_path):
    fake = FakeCluster(str(tmp_path / 'cluster'))
    for index, host in enumerate(HOSTS):
        fake.node(host, namespace_config={'test': {'rack-id': 1 + index, 'replication-factor': 2}})
    yield fake
    fake.close()


def asinfo(cluster, host='h1'):
    return ['env', 'ASD_SIM_CLUSTER_DIR=' + cluster.path, 'ASD_SIM_NODE_ID=' + host, 'ASD_SIM_SYSCONFIG=/nonexistent',
            sys.executable, ASINFO]


def test_cluster_info_then_plan(cluster, run, tmp_path):
    conf = tmp_path / 'aerospike.conf'
    conf.write_text('namespace test {\n  rack-id 1\n}\n')
    nodes = {}
    for host in HOSTS:
        failed, nodes[host] = run(asd_cluster_info, {'asinfo': asinfo(cluster, host), 'config_file': str(conf)},
                                  check_mode=True)
        assert not failed and nodes[host]['changed'] is False and nodes[host]['running']
    report = tmp_path / 'report.json'
    report.write_text(json.dumps({'reports': [{'host': 'h1', 'bytes': 10 ** 9, 'timings': {'stop': 3, 'backup': 2}}]}))

    failed, result = run(roll_plan, {'nodes': nodes, 'hosts': list(HOSTS), 'forks': 1, 'batch_size': '2', 'report_file': str(report),
                                     'sizes': dict((host, 10 ** 9) for host in HOSTS)}, check_mode=True)

    assert not failed, result.get('msg')
    assert result['plan']['mode'] == 'rack' and result['plan']['serial'] == [1, 1]
    assert result['lines'][1] == '  batch 1: rack 1: h1'
    assert "Forecast from the last roll's report (1 hosts)" in ' '.join(result['lines'])
    assert result['plan']['warnings'] == []
    assert sorted(result['racks']['test']['racks']) == ['1', '2']


def test_plan_refuses_a_batch_size_that_is_none(run):
    failed, result = run(roll_plan, {'nodes': {}, 'hosts': ['h1'], 'batch_size': '0%'})
    assert failed and 'give e.g. 2 or 50% or 100%' in result['msg']


def test_gate_over_every_node_then_one_recluster(cluster, run):
    nodes = dict((host, host) for host in HOSTS)

    failed, result = run(asd_gate, {'gate': 'before', 'asinfo': asinfo(cluster), 'nodes': nodes, 'cluster_size': 2,
                                    'timeout': 0})
    assert not failed and result['ok'] and result['principal'] in HOSTS and result['cluster_key']

    failed, taken = run(asd_recluster, {'asinfo': asinfo(cluster), 'nodes': nodes, 'first': 'h2'})
    assert not failed and taken['accepted_by'] == result['principal'] and taken['changed']

    failed, result = run(asd_gate, {'gate': 'after', 'asinfo': asinfo(cluster), 'nodes': nodes, 'cluster_size': 3,
                                    'timeout': 0})
    assert failed and result['msg'].startswith('The after gate did not hold within 0 s: h1: cluster_size 2 (expected 3)')
    assert 'hosts already done are skipped' in result['msg']


def test_gate_in_check_mode_reports_without_failing(cluster, run):
    cluster.stop('h2')
    failed, result = run(asd_gate, {'gate': 'after', 'asinfo': asinfo(cluster), 'nodes': {'h2': 'h2'}, 'timeout': 60},
                         check_mode=True)
    assert not failed and result['ok'] is False and result['problems'] == ['h2: asd does not answer']


def test_recluster_in_check_mode_sends_nothing(cluster, run):
    failed, result = run(asd_recluster, {'asinfo': asinfo(cluster), 'nodes': {'h1': 'h1'}}, check_mode=True)
    assert not failed and result['accepted_by'] is None
