# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The result of a run: per-namespace states and the totals, as execute builds it."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _result
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import decode
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    Item,
    NamespacePlan,
    Plan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._segment_set import Member

__metaclass__ = type


def item(key, size):
    return Item(Member(decode(key), size, 0, 0, 0o600, shmid=None, file_size=size), '%08x.dat' % key, False)


class Codec:
    name = 'zlib'


def test_states_and_totals():
    plan = Plan('restore', '/b', 0, 2, Codec())
    result = _result.Result(plan, threads=2)
    for name, state in (('a', _result.DONE), ('b', _result.UNCHANGED), ('c', _result.FAILED)):
        ns_plan = NamespacePlan('restore', name, 0)
        ns_plan.items = [item(0xAE001000, 1000)]
        summary = result.add(ns_plan)
        summary.state = state
    document = result.to_dict()
    assert document['changed'] is True and document['bytes'] == 1000 and document['threads'] == 2
    assert [s['state'] for s in document['namespaces']] == ['done', 'unchanged', 'failed']
    assert (document['operation'], document['path']) == ('restore', '/b')
    assert result.to_dict(counted=(_result.DONE, _result.FAILED))['bytes'] == 2000
    assert _result.rate(2 * 10 ** 9, 2.0) == 1.0 and _result.rate(1, 0) is None


def test_made_replaces_what_was_planned_only_in_the_result():
    planned = item(0xAE001000, 4096)
    planned.expected_crc = 0x1234
    ns_plan = NamespacePlan('backup', 'test', 0)
    ns_plan.items = [planned, item(0xAD001100, 8192)]
    summary = _result.NamespaceResult(ns_plan, manifest='/b/m.json')
    summary.made = {0xAE001000: _result.Made(crc32=0xC0FFEE, file_size=100, chunk_size=32, chunk_offsets=[24])}
    summary.state, summary.seconds = _result.DONE, 2.0
    first, second = summary.segments()
    assert (first['crc32'], first['file_size'], first['shmid']) == ('0x00c0ffee', 100, None)
    assert (second['crc32'], second['file_size']) == (None, 8192)
    assert planned.to_dict()['crc32'] == '0x00001234' and planned.file_size == 4096
    document = summary.to_dict()
    assert document == {'namespace': 'test', 'instance': 0, 'bytes': 12288, 'manifest': '/b/m.json', 'state': 'done',
                        'seconds': 2.0, 'gb_per_s': 0.0}


def test_failed_namespace_carries_its_error():
    summary = _result.NamespaceResult(NamespacePlan('restore', 'test', 0))
    summary.state, summary.error = _result.FAILED, 'disk on fire'
    assert summary.to_dict()['error'] == 'disk on fire' and 'seconds' not in summary.to_dict()
