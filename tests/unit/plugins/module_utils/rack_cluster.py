# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Node facts of a cluster, built from the replies asd gives (formats of docs/racks.md), for the rack tests."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _node_facts
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _racks

__metaclass__ = type

NODE_IDS = ['BB90%02d011AC4202' % number for number in range(1, 21)]


def racks_reply(layout, namespaces=('test',), roster=False):
    """The all-namespace racks: reply for {rack: [node, ...]} (the same layout in every namespace)."""
    parts = []
    for ns in namespaces:
        fields = ['rack_%d=%s' % (rack, ','.join(nodes)) for rack, nodes in sorted(layout.items())]
        if roster:
            fields += ['roster_rack_%d=%s' % (rack, ','.join(nodes)) for rack, nodes in sorted(layout.items())]
        parts.append('ns=%s:%s' % (ns, ':'.join(fields)))
    return ';'.join(parts)


def namespace_reply(rf=2, effective=None, rack=0, sc=False, quiesced=0, unavailable=0):
    return ('objects=0;ns_cluster_size=6;effective_replication_factor=%d;effective_is_quiesced=false;nodes_quiesced=%d;'
            'pending_quiesce=false;unavailable_partitions=%d;dead_partitions=0;replication-factor=%d;rack-id=%d;'
            'strong-consistency=%s' % (rf if effective is None else effective, quiesced, unavailable, rf, rack,
                                       'true' if sc else 'false'))


def node(node_id, reply, rack=0, namespaces=('test',), edition='Aerospike Enterprise Edition', **ns_args):
    """One running node's facts, as _node_facts.gather returns them."""
    enterprise = 'Enterprise' in edition
    return dict(running=True, node=node_id, edition=edition, enterprise=enterprise, build='7.1.0.0', cluster_size=6,
                cluster_key='ABC', migrate_partitions_remaining=0,
                namespaces=dict((ns, _node_facts.namespace_facts(namespace_reply(rack=rack, **ns_args))) for ns in namespaces),
                racks=_racks.jsonable(_racks.parse_racks(reply)) if enterprise else None,
                racks_error=None if enterprise else 'Community Edition has no racks (rack-id is enterprise-only)',
                configured_racks=dict((ns, rack) for ns in namespaces))


def down(rack=None, namespaces=('test',)):
    """A node whose asd is down: only its aerospike.conf speaks."""
    return dict(running=False, node=None, namespaces={}, racks=None, racks_error=None,
                configured_racks={} if rack is None else dict((ns, rack) for ns in namespaces))


def cluster(per_rack, namespaces=('test',), **ns_args):
    """({host: facts}, hosts) of racks 1..R with per_rack[i] hosts each, named h1, h2, ... in rack order."""
    layout, hosts, rack_of = {}, [], {}
    index = 0
    for rack, count in enumerate(per_rack, 1):
        for _unused in range(count):
            layout.setdefault(rack, []).append(NODE_IDS[index])
            hosts.append('h%d' % (index + 1))
            rack_of[hosts[-1]] = (NODE_IDS[index], rack)
            index += 1
    reply = racks_reply(layout, namespaces, roster=ns_args.get('sc', False))
    return dict((host, node(node_id, reply, rack, namespaces, **ns_args))
                for host, (node_id, rack) in rack_of.items()), hosts
