# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a node's namespace replies and its aerospike.conf (the live cluster is exercised on the fleet)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _node_facts

__metaclass__ = type

CONFIG = '''
service {
    proto-fd-max 15000
}
namespace test {   # the first
    replication-factor 2
    rack-id 3
    storage-engine device {
        rack-id 99
        file /opt/aerospike/test.dat
    }
    strong-consistency true
}
namespace bar {
    replication-factor 1
}
'''


def test_reads_the_top_level_settings_of_each_namespace_stanza():
    assert _node_facts.configured_namespaces(CONFIG) == {
        'test': {'replication-factor': '2', 'rack-id': '3', 'strong-consistency': 'true'},
        'bar': {'replication-factor': '1'}}


def test_a_namespace_without_rack_id_is_in_rack_0():
    assert _node_facts.configured_racks(CONFIG) == {'test': 3, 'bar': 0}
    assert _node_facts.configured_racks('') == {}


def test_types_the_namespace_fields_and_leaves_missing_ones_none():
    facts = _node_facts.namespace_facts('replication-factor=2;effective_replication_factor=1;nodes_quiesced=0;'
                                        'strong-consistency=false;pending_quiesce=true;rack-id=2')
    assert facts['replication_factor'] == 2 and facts['effective_replication_factor'] == 1
    assert facts['rack_id'] == 2 and facts['nodes_quiesced'] == 0
    assert facts['strong_consistency'] is False and facts['pending_quiesce'] is True
    assert facts['unavailable_partitions'] is None and facts['effective_is_quiesced'] is None
