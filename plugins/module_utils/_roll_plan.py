# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The order of a roll: a whole rack at a time where that keeps a copy of every partition, else
``serial`` nodes at a time, and why.

With rack-aware placement, replication-factor 2 or more and at least two racks in a namespace,
each partition has copies on two racks, so one whole rack may stop while the others serve
everything (docs/racks.md). That holds only if every namespace sees the same racks made of the
same nodes, every node agrees, and the configured rack-ids are the ones in force. When any of
that fails, the roll falls back to node by node and says which fact failed: a fallback is
slower, never unsafe, while a wrong rack batch loses partitions.
"""

from __future__ import absolute_import, division, print_function

import collections

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _racks
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _rack_checks

__metaclass__ = type

Batch = collections.namedtuple('Batch', 'rack hosts')


class RollPlan(collections.namedtuple('RollPlan', 'mode reason batch_size batches warnings sc_namespaces')):
    """A roll's batches, in order; ``mode`` is ``rack`` or ``node`` and ``reason`` says why a fallback."""

    @property
    def serial(self):
        """The play's ``serial`` list: one entry per batch."""
        return [len(batch.hosts) for batch in self.batches] or [1]

    @property
    def order(self):
        return [host for batch in self.batches for host in batch.hosts]

    def to_dict(self):
        return dict(mode=self.mode, reason=self.reason, batch_size=self.batch_size, serial=self.serial, order=self.order,
                    batches=[dict(rack=batch.rack, hosts=list(batch.hosts)) for batch in self.batches],
                    warnings=list(self.warnings), sc_namespaces=list(self.sc_namespaces),
                    racks=sorted(set(batch.rack for batch in self.batches if batch.rack is not None)))


def parse_batch_size(value):
    """('count', n) or ('percent', p) of an integer or ``N%``, as the Kubernetes operator takes its batch size."""
    text = str(value).strip()
    is_percent = text.endswith('%')
    number = text[:-1].strip() if is_percent else text
    if not number.isdigit() or int(number) < 1 or (is_percent and int(number) > 100):
        raise ValueError('batch size %r is neither a whole number of hosts (1 or more) nor a percentage of a rack '
                         '(1%% to 100%%): give e.g. 2 or 50%% or 100%% (the whole rack)' % (value,))
    return ('percent' if is_percent else 'count', int(number))


def batch_count(size, rack_size):
    """Hosts per batch in a rack of ``rack_size``: a percentage rounds down, and is at least 1."""
    kind, number = size
    count = rack_size * number // 100 if kind == 'percent' else number
    return max(1, min(rack_size, count))


def _chunks(hosts, count):
    return [tuple(hosts[start:start + count]) for start in range(0, len(hosts), count)]


def _down_first(hosts, down):
    """A host whose asd is down is mid-cycle (an interrupted roll): it finishes first."""
    return [host for host in hosts if host in down] + [host for host in hosts if host not in down]


def _node_plan(hosts, down, serial, reason, forks):
    ordered = _down_first(list(hosts), down)
    batches = [Batch(None, chunk) for chunk in _chunks(ordered, max(1, int(serial)))]
    return RollPlan('node', reason, str(serial), batches, _forks_warning(batches, forks), [])


def _rack_batches(layout, down, size):
    first = sorted(rack for rack, members in layout.items() if set(members) & set(down))
    order = first + sorted(rack for rack in layout if rack not in first)
    return [Batch(rack, chunk) for rack in order
            for chunk in _chunks(_down_first(layout[rack], down), batch_count(size, len(layout[rack])))]


def _forks_warning(batches, forks):
    widest = max([len(batch.hosts) for batch in batches] or [0])
    if not forks or forks >= widest:
        return []
    return ['forks is %d but a batch has %d hosts: Ansible runs a step on %d hosts at a time, so that batch takes '
            '%d turns of each step. Run with -f %d (or forks = %d under [defaults] in ansible.cfg).'
            % (forks, widest, forks, -(-widest // forks), widest, widest)]


def plan_roll(nodes, hosts, by_rack=True, batch_size='100%', serial=1, sc_rack_ok=False, forks=None):
    """The RollPlan for ``hosts`` (inventory order) from each host's node facts (``_node_facts.gather``).

    ValueError for a batch size that is not one; any fact against a rack roll gives a node plan whose
    ``reason`` names it.
    """
    size = parse_batch_size(batch_size)
    hosts = list(hosts)
    down = [host for host in hosts if not (nodes.get(host) or {}).get('running')]
    if not by_rack:
        return _node_plan(hosts, down, serial, 'rolling by rack is off (by_rack=false)', forks)
    view = _rack_checks.ClusterView(nodes, hosts)
    reason = _rack_checks.first_failure(view, sc_rack_ok)
    if reason is None:
        layout, reason = view.layout()
    if reason is not None:
        return _node_plan(hosts, down, serial, reason, forks)
    batches = _rack_batches(layout, down, size)
    warnings = view.outside_inventory() + _forks_warning(batches, forks)
    return RollPlan('rack', None, str(batch_size), batches, warnings, view.sc_namespaces())


def describe(plan):
    """The plan in lines an operator reads before saying yes: mode, why, and each batch."""
    if plan.mode == 'rack':
        racks = sorted(set(batch.rack for batch in plan.batches))
        head = ('Roll by rack: %d racks (%s), batch size %s of a rack, %d hosts in %d batches, racks in ascending '
                'order (a rack with a host left mid-cycle goes first).'
                % (len(racks), ', '.join(str(rack) for rack in racks), plan.batch_size, len(plan.order), len(plan.batches)))
    else:
        head = ('Roll one batch of %s host(s) at a time, %d hosts in %d batches. Not by rack, because %s.'
                % (plan.batch_size, len(plan.order), len(plan.batches), plan.reason))
    lines = [head]
    for number, batch in enumerate(plan.batches, 1):
        where = 'rack %s: ' % batch.rack if batch.rack is not None else ''
        lines.append('  batch %d: %s%s' % (number, where, ', '.join(batch.hosts)))
    lines.extend('Note: %s' % warning for warning in plan.warnings)
    return lines


def racks_of(nodes):
    """The racks: view the plan was made from (the first answering node's), to compare after each batch.

    {} while a node is down (a roll interrupted mid-batch): its rack is missing from racks:, and the
    gates would wait for a view that the whole cluster never shows again.
    """
    if not all((facts or {}).get('running') for facts in nodes.values()):
        return {}
    for facts in nodes.values():
        if facts and facts.get('running') and facts.get('racks') is not None:
            return _racks.jsonable(_racks.from_jsonable(facts['racks']))
    return {}
