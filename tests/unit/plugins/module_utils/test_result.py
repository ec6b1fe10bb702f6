# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The result of a run: per-namespace states and the totals, as execute builds it."""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _result
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    NamespacePlan,
    Plan,
)

__metaclass__ = type


class Codec:
    name = 'zlib'


def test_states_and_totals():
    plan = Plan('restore', '/b', 0, 2, Codec())
    result = _result.Result(plan, threads=2)
    for name, state in (('a', _result.DONE), ('b', _result.UNCHANGED), ('c', _result.FAILED)):
        summary = result.add(NamespacePlan('restore', name, 0))
        summary.update({'state': state, 'bytes': 1000})
    document = result.to_dict()
    assert document['changed'] is True and document['bytes'] == 1000 and document['threads'] == 2
    assert [s['state'] for s in document['namespaces']] == ['done', 'unchanged', 'failed']
    assert (document['operation'], document['path']) == ('restore', '/b')
    assert result.to_dict(counted=(_result.DONE, _result.FAILED))['bytes'] == 2000
    assert _result.rate(2 * 10 ** 9, 2.0) == 1.0 and _result.rate(1, 0) is None
