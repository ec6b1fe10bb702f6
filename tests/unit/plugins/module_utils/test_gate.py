# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gates of a batch on one node's facts (the polling itself runs against the fleet's asd)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _gate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_plan

from ansible_collections.fastrestart.aerospike.tests.unit.plugins.module_utils.rack_cluster import cluster

__metaclass__ = type

KEY = '4B2A0C3D1E5F'


def _node(**ns_args):
    nodes = cluster([2, 2, 2], **ns_args)[0]
    return nodes['h1'], _roll_plan.racks_of(nodes)


def test_before_holds_on_a_whole_settled_cluster():
    facts, racks = _node()
    assert _gate.problems('before', facts, KEY, size=6, racks=racks) == []


def test_before_names_each_fact_that_does_not_hold():
    facts, racks = _node(rf=2, effective=1, quiesced=1)
    facts['cluster_size'] = 5

    found = _gate.problems('before', facts, 'ERROR:4:cluster not stable', size=6, racks=racks)

    assert found == ['cluster_size 5 (expected 6)',
                     'cluster-stable:size=6;ignore-migrations=false answers ERROR:4:cluster not stable',
                     'test: replication-factor 2, effective_replication_factor 1 (both must be 2 or more)',
                     'test: nodes_quiesced 1 (must be 0)']


def test_before_and_after_notice_racks_that_changed():
    facts, racks = _node()
    moved = dict(racks, test={'racks': {'1': racks['test']['racks']['1']}, 'roster_racks': {}})
    assert _gate.problems('after', facts, KEY, size=6, racks=moved)[0].startswith('racks: is ')


def test_strong_consistency_needs_every_partition_available():
    facts, racks = _node(sc=True, unavailable=12)
    assert 'test: unavailable_partitions 12, dead_partitions 0 (must be 0)' in _gate.problems(
        'before', facts, KEY, size=6, racks=racks)
    assert _gate.problems('survivors', facts, size=6) == ['test: unavailable_partitions 12, dead_partitions 0 (must be 0)']


def test_survivors_wait_until_the_nodes_left_saw_the_batch_go():
    facts = _node(sc=True)[0]
    assert _gate.problems('survivors', facts, size=4) == ['cluster_size 6 (waiting for 4, the nodes left)']


def test_quiesced_needs_exactly_the_batch():
    facts = _node(quiesced=1)[0]
    assert _gate.problems('quiesced', facts, batch_size=2, member=False) == ['test: nodes_quiesced 1 (waiting for 2)']
    facts['namespaces']['test'].update(nodes_quiesced=2, effective_is_quiesced=False)
    assert _gate.problems('quiesced', facts, batch_size=2, member=True) == ['test: effective_is_quiesced is not true yet']
    facts['namespaces']['test']['effective_is_quiesced'] = True
    assert _gate.problems('quiesced', facts, batch_size=2, member=True) == []


def test_a_node_that_does_not_answer_fails_every_gate():
    for gate in _gate.GATES:
        assert _gate.problems(gate, {'running': False, 'namespaces': {}}) == ['asd does not answer']


def test_nodes_that_disagree_on_the_key_do_not_pass():
    facts, racks = _node()
    seen = {'h1': (facts, 'AAA', []), 'h2': (facts, 'BBB', [])}
    assert _gate._verdict('before', seen, {'size': 6})[0] == [
        'the nodes disagree on the cluster key (h1 AAA, h2 BBB): the cluster is changing']
    assert _gate._verdict('quiesced', seen, {})[0] == []
    assert racks
