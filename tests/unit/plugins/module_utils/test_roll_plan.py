# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning a roll by rack, and every fallback to node by node with its reason (docs/racks.md, section 2)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_plan

from ansible_collections.fastrestart.aerospike.tests.unit.plugins.module_utils.rack_cluster import (
    NODE_IDS,
    cluster,
    down,
    node,
    racks_reply,
)

__metaclass__ = type


def test_three_racks_of_two_roll_as_three_batches_in_rack_order():
    nodes, hosts = cluster([2, 2, 2], namespaces=('test', 'bar'))

    plan = _roll_plan.plan_roll(nodes, list(reversed(hosts)))

    assert plan.mode == 'rack' and plan.reason is None
    assert [(batch.rack, batch.hosts) for batch in plan.batches] == [
        (1, ('h2', 'h1')), (2, ('h4', 'h3')), (3, ('h6', 'h5'))]
    assert plan.serial == [2, 2, 2]
    assert plan.order == ['h2', 'h1', 'h4', 'h3', 'h6', 'h5']


def test_uneven_racks_give_uneven_batches_that_never_span_racks():
    nodes, hosts = cluster([3, 2, 1])

    plan = _roll_plan.plan_roll(nodes, hosts)

    assert plan.serial == [3, 2, 1]
    assert [batch.rack for batch in plan.batches] == [1, 2, 3]


@pytest.mark.parametrize('size, serial', [('50%', [2, 2, 1, 1]), ('1', [1, 1, 1, 1, 1, 1]), ('3', [3, 1, 2]),
                                          ('100%', [4, 2]), ('10%', [1, 1, 1, 1, 1, 1])])
def test_batch_size_is_a_count_or_a_percentage_of_each_rack_rounded_down(size, serial):
    nodes, hosts = cluster([4, 2])

    assert _roll_plan.plan_roll(nodes, hosts, batch_size=size).serial == serial


@pytest.mark.parametrize('size', ['0', '0%', '101%', 'all', '-1', ''])
def test_refuses_a_batch_size_that_is_none(size):
    nodes, hosts = cluster([2, 2])
    with pytest.raises(ValueError, match='give e.g. 2 or 50% or 100%'):
        _roll_plan.plan_roll(nodes, hosts, batch_size=size)


def _fallback(nodes, hosts, **options):
    plan = _roll_plan.plan_roll(nodes, hosts, **options)
    assert plan.mode == 'node'
    assert plan.serial == [options.get('serial', 1)] * (len(hosts) // options.get('serial', 1))
    return plan.reason


def test_by_rack_false_rolls_serial_hosts_at_a_time():
    nodes, hosts = cluster([2, 2])
    assert 'by_rack=false' in _fallback(nodes, hosts, by_rack=False, serial=2)


def test_rack_maps_that_differ_by_namespace_fall_back():
    nodes, hosts = cluster([2, 2], namespaces=('test', 'bar'))
    mixed = 'ns=test:rack_1=%s,%s:rack_2=%s,%s;ns=bar:rack_1=%s,%s:rack_2=%s,%s' % tuple(
        NODE_IDS[i] for i in (0, 1, 2, 3, 0, 2, 1, 3))
    nodes = dict((host, node(facts['node'], mixed, namespaces=('test', 'bar'))) for host, facts in nodes.items())

    reason = _fallback(nodes, hosts)

    assert 'differ between namespaces bar and test' in reason and 'same nodes in every namespace' in reason


def test_rack_0_only_falls_back():
    nodes, hosts = cluster([4])
    assert 'namespace test has 1 rack(s)' in _fallback(nodes, hosts)


def test_community_edition_falls_back():
    nodes, hosts = cluster([2, 2], edition='Aerospike Community Edition')
    assert 'enterprise-only' in _fallback(nodes, hosts)


def test_replication_factor_1_falls_back():
    nodes, hosts = cluster([2, 2], rf=1)
    assert 'replication-factor 1' in _fallback(nodes, hosts)


def test_effective_replication_factor_1_falls_back():
    nodes, hosts = cluster([2, 2], effective=1)
    assert 'effective 1' in _fallback(nodes, hosts)


def test_nodes_that_disagree_on_racks_fall_back():
    nodes, hosts = cluster([2, 2])
    nodes['h4'] = node(nodes['h4']['node'], racks_reply({1: NODE_IDS[:3], 2: NODE_IDS[3:4]}), rack=2)
    assert 'the nodes disagree on racks:' in _fallback(nodes, hosts)


def test_a_rack_id_changed_without_recluster_falls_back():
    nodes, hosts = cluster([2, 2])
    nodes['h1']['namespaces']['test']['rack_id'] = 2
    assert 'recluster first' in _fallback(nodes, hosts)


def test_strong_consistency_with_two_roster_racks_needs_a_yes():
    nodes, hosts = cluster([2, 2], sc=True)
    assert 'sc_rack_ok' in _fallback(nodes, hosts)

    plan = _roll_plan.plan_roll(nodes, hosts, sc_rack_ok=True)

    assert plan.mode == 'rack' and plan.sc_namespaces == ['test']


def test_strong_consistency_with_three_roster_racks_rolls_by_rack():
    nodes, hosts = cluster([1, 1, 1], sc=True)
    assert _roll_plan.plan_roll(nodes, hosts).mode == 'rack'


def test_a_roster_that_is_not_the_live_racks_falls_back():
    nodes, hosts = cluster([1, 1, 1], sc=True)
    reply = 'ns=test:rack_1=%s:rack_2=%s:rack_3=%s:roster_rack_1=%s,%s:roster_rack_3=%s' % tuple(
        NODE_IDS[i] for i in (0, 1, 2, 0, 1, 2))
    nodes = dict((host, node(facts['node'], reply, rack=int(host[1:]), sc=True)) for host, facts in nodes.items())
    assert 'roster racks' in _fallback(nodes, hosts)


def test_no_answering_node_falls_back():
    hosts = cluster([2, 2])[1]
    assert 'answers on none' in _fallback(dict((host, down(1)) for host in hosts), hosts)


def test_a_host_left_mid_cycle_goes_first_with_its_rack():
    nodes, hosts = cluster([2, 2, 2])
    reply = racks_reply({1: NODE_IDS[0:2], 2: NODE_IDS[2:3], 3: NODE_IDS[4:6]})
    nodes = dict((host, node(facts['node'], reply, rack=facts['configured_racks']['test']))
                 for host, facts in nodes.items())
    nodes['h4'] = down(2)

    plan = _roll_plan.plan_roll(nodes, hosts)

    assert plan.mode == 'rack'
    assert [(batch.rack, batch.hosts) for batch in plan.batches] == [
        (2, ('h4', 'h3')), (1, ('h1', 'h2')), (3, ('h5', 'h6'))]


def test_a_host_down_without_a_configured_rack_falls_back_and_goes_first():
    nodes, hosts = cluster([2, 2, 2])
    nodes['h5'] = down(None)

    plan = _roll_plan.plan_roll(nodes, hosts)

    assert plan.mode == 'node' and 'its rack is unknown' in plan.reason
    assert plan.order[0] == 'h5'


def test_warns_when_forks_are_fewer_than_a_batch():
    nodes, hosts = cluster([6, 6])

    plan = _roll_plan.plan_roll(nodes, hosts, forks=5)

    assert plan.warnings == ['forks is 5 but a batch has 6 hosts: Ansible runs a step on 5 hosts at a time, so that batch '
                             'takes 2 turns of each step. Run with -f 6 (or forks = 6 under [defaults] in ansible.cfg).']
    assert _roll_plan.plan_roll(nodes, hosts, forks=6).warnings == []


def test_warns_about_cluster_nodes_outside_the_play():
    nodes, hosts = cluster([2, 2])
    del nodes['h4']

    plan = _roll_plan.plan_roll(nodes, hosts[:3])

    assert plan.serial == [2, 1]
    assert plan.warnings == ["cluster node %s (rack 2) is not among this play's hosts, so this roll does not reboot it"
                             % NODE_IDS[3]]


def test_describes_the_batches_and_the_reason():
    nodes, hosts = cluster([2, 1])
    lines = _roll_plan.describe(_roll_plan.plan_roll(nodes, hosts))
    assert lines == ['Roll by rack: 2 racks (1, 2), batch size 100% of a rack, 3 hosts in 2 batches, racks in ascending '
                     'order (a rack with a host left mid-cycle goes first).',
                     '  batch 1: rack 1: h1, h2', '  batch 2: rack 2: h3']
    fallback = _roll_plan.describe(_roll_plan.plan_roll(nodes, hosts, by_rack=False))
    assert fallback[0] == ('Roll one batch of 1 host(s) at a time, 3 hosts in 3 batches. Not by rack, because rolling by '
                           'rack is off (by_rack=false).')


def test_the_plan_travels_as_a_dict():
    nodes, hosts = cluster([2, 2])
    result = _roll_plan.plan_roll(nodes, hosts).to_dict()
    assert result['serial'] == [2, 2] and result['racks'] == [1, 2]
    assert result['batches'][1] == {'rack': 2, 'hosts': ['h3', 'h4']}
    assert _roll_plan.racks_of(nodes) == {'test': {'racks': {'1': NODE_IDS[0:2], '2': NODE_IDS[2:4]}, 'roster_racks': {}}}


def test_no_racks_to_compare_against_while_a_host_is_down():
    nodes, hosts = cluster([2, 2])
    nodes['h2'] = down(1)
    assert _roll_plan.plan_roll(nodes, hosts).mode == 'rack'
    assert _roll_plan.racks_of(nodes) == {}
