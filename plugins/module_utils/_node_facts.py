# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""What one node says about itself and its cluster: the facts a roll plans and gates on.

Everything comes from the live asd (``node``, ``edition``, ``statistics``, ``namespace/<ns>``,
``racks:``), never from the inventory. The namespace stanzas of ``aerospike.conf`` are read as
well, for a node whose asd is down (a roll interrupted mid-cycle): its configured ``rack-id``
is then the only place left that says where it belongs.
"""

from __future__ import absolute_import, division, print_function

import re

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _racks

__metaclass__ = type

_NAMESPACE_OPEN = re.compile(r'^namespace\s+(\S+)\s*\{$')
_INT_FIELDS = (('replication_factor', 'replication-factor'), ('effective_replication_factor', 'effective_replication_factor'),
               ('nodes_quiesced', 'nodes_quiesced'), ('unavailable_partitions', 'unavailable_partitions'),
               ('dead_partitions', 'dead_partitions'), ('ns_cluster_size', 'ns_cluster_size'), ('rack_id', 'rack-id'))
_BOOL_FIELDS = (('strong_consistency', 'strong-consistency'), ('pending_quiesce', 'pending_quiesce'),
                ('effective_is_quiesced', 'effective_is_quiesced'))


def to_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def configured_namespaces(config_text):
    """{namespace: {key: value}} of the top-level settings of each ``namespace <name> { ... }`` stanza."""
    result, current, depth = {}, None, 0
    for raw in (config_text or '').splitlines():
        line = raw.split('#', 1)[0].strip()
        match = _NAMESPACE_OPEN.match(line)
        if depth == 0 and match:
            current = result.setdefault(match.group(1), {})
        elif current is not None and depth == 1 and line and line[-1] not in '{}':
            key, value = (line.split(None, 1) + [''])[:2]
            current[key] = value.strip()
        depth = max(0, depth + line.count('{') - line.count('}'))
        current = current if depth else None
    return result


def configured_racks(config_text):
    """{namespace: rack_id} from aerospike.conf (0 where a stanza sets none, as the server takes it)."""
    return dict((ns, to_int(settings.get('rack-id', 0)) or 0)
                for ns, settings in configured_namespaces(config_text).items())


def namespace_facts(reply):
    """The fields of a ``namespace/<ns>`` reply that a roll gates on, typed; None where a field is missing."""
    fields = _asinfo.pairs(reply)
    facts = dict((name, to_int(fields.get(key))) for name, key in _INT_FIELDS)
    facts.update((name, fields[key] == 'true' if key in fields else None) for name, key in _BOOL_FIELDS)
    return facts


def _read_racks(asinfo):
    reply = asinfo.ask('racks:')
    if _asinfo.is_error(reply):
        return None, reply
    try:
        return _racks.jsonable(_racks.parse_racks(reply)), None
    except _racks.RacksReplyError as exc:
        return None, str(exc)


def _describe(asinfo, facts, namespaces):
    stats = _asinfo.pairs(asinfo.ask('statistics'))
    names = list(namespaces or [ns for ns in asinfo.ask('namespaces').split(';') if ns])
    facts.update(running=True, node=asinfo.ask('node').upper(),
                 cluster_size=to_int(stats.get('cluster_size')), cluster_key=stats.get('cluster_key'),
                 cluster_principal=(stats.get('cluster_principal') or '').upper() or None,
                 migrate_partitions_remaining=to_int(stats.get('migrate_partitions_remaining')),
                 namespaces=dict((ns, namespace_facts(asinfo.ask('namespace/' + ns))) for ns in names))


def gather(asinfo, namespaces=None, config_text='', lean=False):
    """This node's facts (a dict that travels as JSON); ``running`` false when asd does not answer.

    ``lean`` leaves out what a gate does not look at (edition, build, migrate-fill-delay), and
    asks ``racks:`` without asking the edition: a gate runs on a cluster already planned as EE.
    """
    facts = dict(running=False, node=None, edition=None, enterprise=None, build=None, cluster_size=None,
                 cluster_key=None, cluster_principal=None, migrate_partitions_remaining=None, migrate_fill_delay=None,
                 namespaces={}, racks=None, racks_error=None, configured_racks=configured_racks(config_text))
    if not asinfo.running():
        return facts
    _describe(asinfo, facts, namespaces)
    if lean:
        facts['racks'], facts['racks_error'] = _read_racks(asinfo)
        return facts
    edition = asinfo.ask('edition')
    facts.update(edition=edition, enterprise='enterprise' in edition.lower(), build=asinfo.ask('build'))
    if facts['enterprise']:
        facts['racks'], facts['racks_error'] = _read_racks(asinfo)
        service = _asinfo.pairs(asinfo.ask('get-config:context=service'))
        facts['migrate_fill_delay'] = to_int(service.get('migrate-fill-delay'))
    else:
        facts['racks_error'] = 'Community Edition has no racks (rack-id is enterprise-only)'
    return facts
