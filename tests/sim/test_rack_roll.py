# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Facts, plan and gates against the simulated asinfo (sim/asinfo.py run as a process, as on a host).

The cluster folder is tests/sim/fake_cluster.py's: node locks held by this process, as running
asd processes hold them, so nodes start and stop in microseconds.
"""

from __future__ import absolute_import, division, print_function

import sys
import threading

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _gate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _node_facts
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _recluster
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_plan

from .fake_cluster import ASINFO, FakeCluster

__metaclass__ = type

HOSTS = ('h1', 'h2', 'h3', 'h4', 'h5', 'h6')
# The in-process asinfo swaps os.environ for its run; the gates ask nodes from several threads.
ONE_AT_A_TIME = threading.Lock()
CONFIG = 'namespace test {\n  rack-id 2\n}\n'


@pytest.fixture
def cluster(tmp_path):
    fake = FakeCluster(str(tmp_path / 'cluster'))
    yield fake
    fake.close()


def start(cluster, racks, namespaces=('test', 'bar'), rf=2, **extra):
    """h1.. with rack-ids `racks` (a list for every namespace, or {ns: list})."""
    for index, host in enumerate(HOSTS[:len(racks if isinstance(racks, list) else racks['test'])]):
        config = dict((ns, {'rack-id': (racks if isinstance(racks, list) else racks[ns])[index], 'replication-factor': rf})
                      for ns in namespaces)
        cluster.node(host, namespaces=namespaces, namespace_config=config, **extra)


def asinfo(cluster, host):
    """asinfo on `host`: the simulator's asinfo, run in this process with that host's settings (fast)."""
    def runner(argv, _timeout):
        with ONE_AT_A_TIME:
            out, rc = cluster.asinfo(host, *argv[1:])
        return rc, out, ''
    return _asinfo.Asinfo(['asinfo'], runner=runner)


def test_a_real_asinfo_process_answers_the_same(cluster):
    start(cluster, [1, 2])
    process = _asinfo.Asinfo(['env', 'ASD_SIM_CLUSTER_DIR=' + cluster.path, 'ASD_SIM_NODE_ID=h1',
                              'ASD_SIM_SYSCONFIG=/nonexistent', sys.executable, ASINFO])
    assert _node_facts.gather(process) == _node_facts.gather(asinfo(cluster, 'h1'))


def facts(cluster, hosts=HOSTS, config=''):
    return dict((host, _node_facts.gather(asinfo(cluster, host), config_text=config)) for host in hosts)


def test_gathers_a_nodes_facts_from_the_live_cluster(cluster):
    start(cluster, [1, 1, 2, 2, 3, 3])

    node = _node_facts.gather(asinfo(cluster, 'h3'), config_text=CONFIG)

    assert node['running'] and node['enterprise'] and node['node'] == cluster.hex('h3')
    assert node['cluster_size'] == 6 and node['migrate_partitions_remaining'] == 0
    assert node['namespaces']['bar']['rack_id'] == 2 and node['namespaces']['test']['replication_factor'] == 2
    assert sorted(node['racks']) == ['bar', 'test']
    assert node['racks']['test']['racks']['2'] == sorted([cluster.hex('h3'), cluster.hex('h4')])
    assert node['configured_racks'] == {'test': 2}


def test_a_stopped_node_says_only_what_its_config_says(cluster):
    start(cluster, [1, 1, 2, 2])
    cluster.stop('h2')

    node = _node_facts.gather(asinfo(cluster, 'h2'), config_text=CONFIG)

    assert node['running'] is False and node['racks'] is None and node['configured_racks'] == {'test': 2}


def test_three_racks_of_two_plan_by_rack(cluster):
    start(cluster, [1, 1, 2, 2, 3, 3])

    plan = _roll_plan.plan_roll(facts(cluster), HOSTS)

    assert (plan.mode, plan.serial, plan.order) == ('rack', [2, 2, 2], list(HOSTS))


@pytest.mark.parametrize('racks, edition, reason', [
    ({'test': [1, 1, 2, 2], 'bar': [1, 2, 1, 2]}, 'enterprise', 'racks differ between namespaces'),
    ([0, 0, 0, 0], 'enterprise', 'has 1 rack(s)'),
    ([1, 1, 2, 2], 'community', 'enterprise-only'),
])
def test_fallbacks_against_the_simulator(cluster, racks, edition, reason):
    start(cluster, racks, edition=edition)

    plan = _roll_plan.plan_roll(facts(cluster, HOSTS[:4]), HOSTS[:4])

    assert plan.mode == 'node' and reason in plan.reason


def gate(cluster, hosts, name, **expect):
    """The gate's problems on `hosts`, checked once, from h1's asinfo with -h (as the role checks every node)."""
    return _gate.wait(dict((host, remote(cluster, host)) for host in hosts), name, timeout=0, interval=0, **expect)


def remote(cluster, host):
    """asinfo -h <host>, run on h1."""
    def runner(argv, _timeout):
        with ONE_AT_A_TIME:
            out, rc = cluster.asinfo('h1', *argv[1:])
        return rc, out, ''
    return _asinfo.Asinfo(['asinfo', '-h', host], runner=runner)


def test_gates_of_a_rack_batch(cluster):
    start(cluster, [1, 1, 2, 2, 3, 3])
    racks = _roll_plan.racks_of(facts(cluster))
    whole = dict(size=6, racks=racks)

    before = gate(cluster, HOSTS, 'before', **whole)
    assert before['problems'] == [] and before['cluster_key'] and before['principal'] in HOSTS
    for host in ('h1', 'h2'):
        assert cluster.value(host, 'quiesce:') == 'ok'
    taken, replies = _recluster.recluster(dict((host, remote(cluster, host)) for host in HOSTS), first='h3',
                                          timeout=0)
    assert taken == before['principal'] and replies[taken] == 'ok'
    assert gate(cluster, ('h1', 'h2'), 'quiesced', batch_size=2, member=True)['problems'] == []
    assert gate(cluster, ('h3',), 'quiesced', batch_size=3)['problems'] == [
        'h3: bar: nodes_quiesced 2 (waiting for 3)', 'h3: test: nodes_quiesced 2 (waiting for 3)']
    assert 'h5: test: nodes_quiesced 2 (must be 0)' in gate(cluster, HOSTS, 'before', **whole)['problems']

    cluster.stop('h1')
    cluster.stop('h2')
    after = gate(cluster, HOSTS, 'after', **whole)['problems']
    assert after[:2] == ['h1: asd does not answer', 'h2: asd does not answer']
    assert 'h5: cluster_size 4 (expected 6)' in after and any(': racks: is ' in problem for problem in after)

    start(cluster, [1, 1, 2, 2, 3, 3])
    after = gate(cluster, HOSTS, 'after', **whole)
    assert after['problems'] == [] and len(set(node['cluster_key'] for node in after['nodes'].values())) == 1


def test_asinfo_dash_h_reaches_another_node_by_its_name(cluster):
    start(cluster, [1, 2])
    assert cluster.value('h1', 'node') == cluster.hex('h1')
    assert cluster.asinfo('h1', '-h', 'h2', '-v', 'node')[0].strip() == cluster.hex('h2')
    assert cluster.asinfo('h1', '-h', '127.0.0.1', '-v', 'node')[0].strip() == cluster.hex('h1')
    cluster.stop('h2')
    assert cluster.asinfo('h1', '-h', 'h2', '-v', 'node') == (
        "ERROR: Not able to connect any cluster with ('h2', 3000, None).\n", 1)
