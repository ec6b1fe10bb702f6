# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The gates of a batch, as one node sees the cluster: what must hold before a batch stops, once it
is quiesced, right after it stops, and once it is back (docs/racks.md, "Gates").

Each gate is a pure function of a node's facts (``_node_facts.gather``) and its ``cluster-stable``
reply that lists what does not hold yet; ``wait`` polls one until nothing is listed or time runs
out. The cluster key must then be the same on every node, which the caller compares across nodes.
"""

from __future__ import absolute_import, division, print_function

import concurrent.futures
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _node_facts
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _racks

__metaclass__ = type

GATES = ('before', 'quiesced', 'survivors', 'after')
# Nodes asked at once: enough to overlap asinfo's round trips, few enough for a busy host.
MAX_ASKING = 8
DESCRIPTIONS = {
    'before': 'before a batch, on every node: cluster-stable at the full size (one cluster key, migrations done), '
              'replication-factor and effective_replication_factor at least 2, nodes_quiesced 0, racks: as planned, '
              'and for strong consistency unavailable_partitions and dead_partitions 0',
    'quiesced': 'then: quiesce: to each node of the batch, one recluster:, and wait until nodes_quiesced equals the '
                'batch size on each of them and each is effective_is_quiesced',
    'survivors': 'right after the stop, for strong consistency: unavailable_partitions and dead_partitions 0 on the '
                 'nodes left, else the batch starts again at once and the roll stops',
    'after': 'after the batch, on every node: asd answers, cluster_size the full size, cluster-stable with migrations '
             'done, racks: as before, nodes_quiesced 0; only then the next batch',
}


def _namespace_problems(facts, check):
    problems = []
    for ns, values in sorted(facts['namespaces'].items()):
        problems.extend('%s: %s' % (ns, text) for text in check(values))
    return problems


def _replication(values):
    if (values.get('replication_factor') or 0) < 2 or (values.get('effective_replication_factor') or 0) < 2:
        yield 'replication-factor %s, effective_replication_factor %s (both must be 2 or more)' % (
            values.get('replication_factor'), values.get('effective_replication_factor'))


def _no_quiesce(values):
    if values.get('nodes_quiesced') != 0:
        yield 'nodes_quiesced %s (must be 0)' % values.get('nodes_quiesced')


def _available(values):
    if values.get('strong_consistency') and (values.get('unavailable_partitions') or values.get('dead_partitions')):
        yield 'unavailable_partitions %s, dead_partitions %s (must be 0)' % (
            values.get('unavailable_partitions'), values.get('dead_partitions'))


def _stable(facts, stable_reply, size, racks):
    problems = []
    if facts['cluster_size'] != size:
        problems.append('cluster_size %s (expected %d)' % (facts['cluster_size'], size))
    if _asinfo.is_error(stable_reply or 'ERROR'):
        problems.append('cluster-stable:size=%d;ignore-migrations=false answers %s' % (size, stable_reply or 'nothing'))
    if racks is not None and facts.get('racks') is not None and \
            _racks.from_jsonable(facts['racks']) != _racks.from_jsonable(racks):
        problems.append('racks: is %s, not %s as planned' % (facts['racks'], racks))
    return problems


def problems(gate, facts, stable_reply=None, size=0, racks=None, batch_size=0, member=False):
    """What does not hold yet of ``gate`` on this node; [] when it holds."""
    if not facts['running']:
        return ['asd does not answer']
    if gate == 'before':
        return (_stable(facts, stable_reply, size, racks) + _namespace_problems(facts, _replication)
                + _namespace_problems(facts, _no_quiesce) + _namespace_problems(facts, _available))
    if gate == 'after':
        return _stable(facts, stable_reply, size, racks) + _namespace_problems(facts, _no_quiesce)
    if gate == 'survivors':
        if size and facts['cluster_size'] != size:
            return ['cluster_size %s (waiting for %d, the nodes left)' % (facts['cluster_size'], size)]
        return _namespace_problems(facts, _available)
    found = []
    for ns, values in sorted(facts['namespaces'].items()):
        if values.get('nodes_quiesced') != batch_size:
            found.append('%s: nodes_quiesced %s (waiting for %d)' % (ns, values.get('nodes_quiesced'), batch_size))
        if member and not values.get('effective_is_quiesced'):
            found.append('%s: effective_is_quiesced is not true yet' % ns)
    return found


def look(asinfo, gate, namespaces=None, size=0):
    """(facts, cluster-stable reply) of this node now; the reply only where the gate needs it."""
    try:
        facts = _node_facts.gather(asinfo, namespaces, lean=True)
    except _asinfo.AsinfoError:
        # asd went away between two questions: a look at a node that does not answer.
        return dict(running=False, namespaces={}), None
    reply = None
    if facts['running'] and gate in ('before', 'after'):
        try:
            reply = asinfo.ask('cluster-stable:size=%d;ignore-migrations=false' % size)
        except _asinfo.AsinfoError as exc:
            reply = 'ERROR (%s)' % exc
    return facts, reply


def _look_one(asinfo, gate, expect):
    facts, reply = look(asinfo, gate, expect.get('namespaces'), expect.get('size', 0))
    return facts, reply, problems(gate, facts, reply, expect.get('size', 0), expect.get('racks'),
                                  expect.get('batch_size', 0), expect.get('member', False))


def _look_all(asinfos, gate, expect):
    """{name: (facts, stable reply, problems)} of every node now, asked side by side (each waits on asinfo)."""
    names = sorted(asinfos)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(MAX_ASKING, len(names) or 1)) as pool:
        looks = pool.map(lambda name: _look_one(asinfos[name], gate, expect), names)
        return dict(zip(names, looks))


def _disagreement(gate, seen):
    """One cluster key on every node, or the problem that names each node's."""
    keys = dict((name, reply) for name, (_facts, reply, _found) in seen.items())
    if gate not in ('before', 'after') or len(set(keys.values())) <= 1:
        return []
    return ['the nodes disagree on the cluster key (%s): the cluster is changing'
            % ', '.join('%s %s' % pair for pair in sorted(keys.items()))]


def _principal(seen):
    hexes = set(facts.get('cluster_principal') for facts, _reply, _found in seen.values()) - set([None])
    for name, (facts, _reply, _found) in sorted(seen.items()):
        if len(hexes) == 1 and facts.get('node') in hexes:
            return name
    return None


def _verdict(gate, seen, expect):
    found = ['%s: %s' % (name, text) for name, (_facts, _reply, texts) in sorted(seen.items()) for text in texts]
    found = found or _disagreement(gate, seen)
    # Once the nodes left have seen the batch go, their availability is final: no waiting it out.
    settled = gate == 'survivors' and all(facts.get('cluster_size') == expect.get('size', 0)
                                          for facts, _reply, _found in seen.values())
    return found, settled


def wait(asinfos, gate, timeout, interval=2.0, clock=time.time, sleep=time.sleep, **expect):
    """Polls every node of ``asinfos`` ({name: Asinfo}) until the gate holds on all of them or ``timeout`` passes.

    Returns {'problems': [...], 'nodes': {name: {'problems', 'cluster_key'}}, 'cluster_key', 'principal', 'waited'}.
    """
    start = clock()
    while True:
        seen = _look_all(asinfos, gate, expect)
        found, settled = _verdict(gate, seen, expect)
        waited = clock() - start
        if not found or settled or waited >= timeout:
            keys = set(reply for _facts, reply, _found in seen.values())
            return dict(problems=found, waited=round(waited, 2), principal=_principal(seen),
                        cluster_key=keys.pop() if len(keys) == 1 else None,
                        nodes=dict((name, dict(problems=texts, cluster_key=reply))
                                   for name, (_facts, reply, texts) in seen.items()))
        sleep(interval)
