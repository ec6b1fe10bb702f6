# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Whether a cluster may roll a whole rack at a time: each fact checked, the first one against it named.

The facts are those of docs/racks.md, "Before stopping a rack": Enterprise Edition; every node
answers ``racks:`` the same; at least two racks in every namespace; each rack the same nodes in
every namespace (for strong consistency, the roster's racks are the live ones); replication-factor
and its effective value at least 2 on every node; each node's configured rack-id the one in force.
Strong consistency with fewer than three roster racks needs the operator's explicit yes, since
whether all partitions stay available with half the roster out is not documented.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _racks

__metaclass__ = type


def _rack_text(racks):
    return ', '.join('%d: %s' % (rack, ' '.join(nodes)) for rack, nodes in sorted(racks.items())) or 'none'


class ClusterView:
    """The node facts of a play's hosts, and the racks the first answering node reports."""

    def __init__(self, nodes, hosts):
        self.hosts = list(hosts)
        self.facts = dict((host, nodes.get(host) or {}) for host in self.hosts)
        self.up = [host for host in self.hosts if self.facts[host].get('running')]
        self.down = [host for host in self.hosts if host not in self.up]
        self.node_of = dict((host, self.facts[host].get('node')) for host in self.up)
        self.views = dict((host, _racks.from_jsonable(self.facts[host].get('racks')))
                          for host in self.up if self.facts[host].get('racks') is not None)
        self.reference = self.views[self.up[0]] if self.up and self.up[0] in self.views else {}

    def sc_namespaces(self):
        return sorted(set(ns for host in self.up for ns, facts in self.facts[host].get('namespaces', {}).items()
                          if facts.get('strong_consistency')))

    def node_rack(self):
        """{node: rack} of the reference view's first namespace (the checks make all namespaces agree)."""
        if not self.reference:
            return {}
        return _racks.node_racks(self.reference[sorted(self.reference)[0]]['racks'])

    def _down_rack(self, host):
        configured = self.facts[host].get('configured_racks') or {}
        racks = set(configured.values())
        if len(racks) != 1:
            return None, ('asd is down on %s (an interrupted roll?) and its aerospike.conf %s, so its rack is unknown'
                          % (host, 'names no namespace' if not racks else 'puts it in different racks per namespace'))
        return racks.pop(), None

    def layout(self):
        """({rack: hosts in inventory order}, None), or (None, why a host has no known rack)."""
        node_rack = self.node_rack()
        layout = {}
        for host in self.hosts:
            if host in self.up:
                rack = node_rack[self.node_of[host]]
            else:
                rack, why = self._down_rack(host)
                if why:
                    return None, why
            layout.setdefault(rack, []).append(host)
        return layout, None

    def outside_inventory(self):
        known = set(self.node_of.values())
        return ['cluster node %s (rack %d) is not among this play\'s hosts, so this roll does not reboot it'
                % (node, rack) for node, rack in sorted(self.node_rack().items()) if node not in known]


def _running(view, _ok):
    if not view.up:
        return 'asd answers on none of the hosts, so the racks cannot be learned from the live cluster'
    return None


def _edition(view, _ok):
    for host in view.up:
        if not view.facts[host].get('enterprise'):
            return '%s runs %s: rack-id is enterprise-only, so the cluster has no racks' % (
                host, view.facts[host].get('edition') or 'an unknown edition')
    return None


def _replies(view, _ok):
    for host in view.up:
        if host not in view.views:
            return '%s answered racks: with %s' % (host, view.facts[host].get('racks_error') or 'nothing')
    for host in view.up[1:]:
        if view.views[host] != view.reference:
            return ('the nodes disagree on racks: (%s and %s answer differently), so the cluster is changing: wait '
                    'until it is stable' % (view.up[0], host))
    return None


def _members(view, _ok):
    for host in view.up:
        for ns, entry in sorted(view.reference.items()):
            if view.node_of[host] not in _racks.node_racks(entry['racks']):
                return '%s (node %s) is not in namespace %s\'s racks: (not a member of its cluster)' % (
                    host, view.node_of[host], ns)
    return None


def _two_racks(view, _ok):
    for ns, entry in sorted(view.reference.items()):
        if len(entry['racks']) < 2:
            return ('namespace %s has %d rack(s) (%s): stopping a whole rack would stop every copy of its partitions'
                    % (ns, len(entry['racks']), _rack_text(entry['racks'])))
    return None


def _same_map(view, _ok):
    names = sorted(view.reference)
    first = _racks.node_racks(view.reference[names[0]]['racks'])
    for ns in names[1:]:
        other = _racks.node_racks(view.reference[ns]['racks'])
        for node in sorted(set(first) | set(other)):
            if first.get(node) != other.get(node):
                return ('the racks differ between namespaces %s and %s (node %s is in rack %s in %s but rack %s in %s): '
                        'a rack must be the same nodes in every namespace' % (
                            names[0], ns, node, first.get(node), names[0], other.get(node), ns))
    return None


def _roster(view, _ok):
    for ns in view.sc_namespaces():
        entry = view.reference.get(ns, {})
        if entry.get('roster_racks') and entry['roster_racks'] != entry['racks']:
            return ('namespace %s is strong-consistency and its roster racks (%s) are not its live racks (%s): set the '
                    'roster to the observed nodes and recluster'
                    % (ns, _rack_text(entry['roster_racks']), _rack_text(entry['racks'])))
    return None


def _replication(view, _ok):
    for host in view.up:
        for ns, facts in sorted(view.facts[host].get('namespaces', {}).items()):
            rf, effective = facts.get('replication_factor'), facts.get('effective_replication_factor')
            if (rf or 0) < 2 or (effective or 0) < 2:
                return ('namespace %s on %s has replication-factor %s (effective %s): a rack may stop only while every '
                        'partition has 2 copies' % (ns, host, rf, effective))
    return None


def _configured(view, _ok):
    for host in view.up:
        for ns, facts in sorted(view.facts[host].get('namespaces', {}).items()):
            live = _racks.node_racks(view.reference.get(ns, {}).get('racks', {})).get(view.node_of[host])
            if facts.get('rack_id') is not None and live is not None and facts['rack_id'] != live:
                return ('%s has rack-id %d for namespace %s in its configuration, but racks: puts it in rack %d: a '
                        'changed rack-id applies at the next rebalance; recluster first (asinfo -v recluster:)'
                        % (host, facts['rack_id'], ns, live))
    return None


def _sc_racks(view, sc_ok):
    for ns in view.sc_namespaces():
        entry = view.reference.get(ns, {})
        count = len(entry.get('roster_racks') or entry.get('racks') or {})
        if count < 3 and not sc_ok:
            return ('namespace %s is strong-consistency with %d roster racks: with a whole rack out, partitions may '
                    'become unavailable. Set sc_rack_ok (rolling_reboot_sc_rack_ok) to roll by rack anyway; the roll '
                    'then reads unavailable_partitions right after each stop and restarts the rack if it is not 0'
                    % (ns, count))
    return None


CHECKS = (_running, _edition, _replies, _members, _two_racks, _same_map, _roster, _replication, _configured, _sc_racks)


def first_failure(view, sc_rack_ok=False):
    """Why this cluster may not roll by rack (the first fact that fails), or None."""
    for check in CHECKS:
        reason = check(view, sc_rack_ok)
        if reason:
            return reason
    return None
