# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The racks of a live cluster, as the ``racks:`` info command gives them.

``racks:`` answers ``ns=test:rack_1=A,B:rack_2=C;ns=bar:rack_0=A,B,C``: per namespace, the current
members with the rack-ids of the last rebalance (a stopped node and an empty rack vanish, a node
with no rack-id is in rack 0). Strong-consistency namespaces add ``roster_rack_<id>=...``, every
roster node present or not. Node ids print in upper-case hex; the order inside a rack is
undefined, so racks are kept as sorted tuples. A rack-id is per namespace: a node may sit in
different racks in different namespaces, which is why a rack roll compares them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class RacksReplyError(ValueError):
    """A ``racks:`` reply that is not the format above."""


def _nodes(text):
    return tuple(sorted(node.strip().upper() for node in text.split(',') if node.strip()))


def parse_namespace(text):
    """({rack_id: nodes}, {rack_id: roster nodes}) of one namespace's ``rack_<id>=...:...`` fields."""
    racks, roster = {}, {}
    for field in text.split(':'):
        field = field.strip()
        if not field:
            continue
        key, sep, value = field.partition('=')
        target = roster if key.startswith('roster_rack_') else racks
        digits = key[len('roster_rack_'):] if target is roster else key[len('rack_'):]
        if not sep or not (key.startswith('rack_') or target is roster) or not digits.isdigit():
            raise RacksReplyError('unexpected field %r in the racks: reply' % field)
        target[int(digits)] = _nodes(value)
    return racks, roster


def parse_racks(reply):
    """{namespace: {'racks': {id: nodes}, 'roster_racks': {id: nodes}}} of an all-namespace ``racks:`` reply."""
    result = {}
    for part in reply.strip().strip(';').split(';'):
        part = part.strip()
        if not part:
            continue
        if not part.startswith('ns='):
            raise RacksReplyError('unexpected namespace part %r in the racks: reply (expected ns=<name>:...)' % part)
        name, rest = (part[3:].split(':', 1) + [''])[:2]
        racks, roster = parse_namespace(rest)
        result[name] = {'racks': racks, 'roster_racks': roster}
    return result


def node_racks(racks):
    """{node: rack_id} of one namespace's {rack_id: nodes}."""
    return dict((node, rack) for rack, nodes in racks.items() for node in nodes)


def jsonable(parsed):
    """The parsed reply with string rack ids and lists, as it travels through Ansible's JSON."""
    return dict((ns, dict((kind, dict((str(rack), list(nodes)) for rack, nodes in sorted(value.items())))
                          for kind, value in entry.items()))
                for ns, entry in parsed.items())


def from_jsonable(data):
    """The inverse of jsonable(): int rack ids and sorted tuples."""
    return dict((ns, dict((kind, dict((int(rack), tuple(sorted(nodes))) for rack, nodes in (value or {}).items()))
                          for kind, value in entry.items()))
                for ns, entry in (data or {}).items())
