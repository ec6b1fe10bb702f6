# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Removal of one namespace's segments, on real segments."""

from __future__ import absolute_import, division, print_function

import pytest

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _removal
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    UsageError,
)

__metaclass__ = type


def test_plan_then_execute_removes_exactly_the_namespace(shm):
    made = shm.make_set(stages=3, sindex_stages=2, stripes=2, data_nsid=9)
    other = shm.make_set(nsid=2, name='other', stages=1, stripes=1)
    plan = _removal.plan_removal('test')
    assert plan.ok and plan.changed
    assert plan.bytes == len(made) * 4096
    assert sorted(int(s['key'], 16) for s in plan.segments()) == sorted(made.values())
    assert plan.message() == "would remove %d segments (%d bytes) of namespace 'test' in instance 0" % (
        len(made), len(made) * 4096)
    assert len(shm_sets.segments()) == len(made) + len(other)
    result = _removal.execute_removal(plan)
    assert result['changed'] is True
    assert sorted(int(r['key'], 16) for r in result['removed']) == sorted(made.values())
    assert sorted(shm_sets.segments()) == sorted(other.values())
    again = _removal.plan_removal('test')
    assert not again.changed and 'nothing to remove' in again.message()
    assert _removal.execute_removal(again) == {'changed': False, 'removed': [], 'bytes': 0}


def test_attached_segments_refuse_the_whole_namespace(shm):
    made = shm.make_set(stages=2)
    shm.attach(made['treex'])
    plan = _removal.plan_removal('test')
    assert not plan.ok and not plan.changed
    problem = plan.problems[0]
    assert problem.code == 'attached' and problem.keys == [made['treex']]
    assert 'stop asd' in plan.message()
    with pytest.raises(ExecutionError):
        _removal.execute_removal(plan)
    assert len(shm_sets.segments()) == 4
    assert plan.to_dict()['problems'][0]['keys'] == ['0x%08x' % made['treex']]


def test_an_attachment_after_the_plan_stops_the_removal(shm):
    made = shm.make_set(stages=1)
    plan = _removal.plan_removal('test')
    assert plan.ok
    shm.attach(made['pi-0x100'])
    with pytest.raises(ExecutionError) as info:
        _removal.execute_removal(plan)
    assert '0x%08x' % made['pi-0x100'] in info.value.msg and 'nothing was removed' in info.value.msg
    assert len(shm_sets.segments()) == 3


def test_a_segment_replaced_since_the_plan_is_left_alone(shm):
    made = shm.make_set(stages=1)
    plan = _removal.plan_removal('test')
    shm.remove(made['pi-0x100'])
    shm.create(0x00C0FFEE, 4096)   # may take the freed shmid: it is not ours
    result = _removal.execute_removal(plan)
    assert sorted(int(r['key'], 16) for r in result['removed']) == sorted([made['base'], made['treex']])
    assert list(shm_sets.segments()) == [0x00C0FFEE]


def test_other_instances_are_untouched(shm):
    shm.make_set(instance=0, stages=1)
    inst2 = shm.make_set(instance=2, stages=1)
    result = _removal.execute_removal(_removal.plan_removal('test', instance=0))
    assert len(result['removed']) == 3
    assert sorted(shm_sets.segments()) == sorted(inst2.values())


def test_ambiguous_name_is_refused(shm):
    shm.make_set(nsid=1, name='dup', stages=1)
    shm.make_set(nsid=2, name='dup', stages=1)
    plan = _removal.plan_removal('dup')
    assert [p.code for p in plan.problems] == ['ambiguous']
    assert 'ipcrm' in plan.message()


@pytest.mark.parametrize('namespace, instance', [('', 0), ('x' * 33, 0), ('test', 16), ('test', -1), ('test', None)])
def test_bad_requests(namespace, instance):
    with pytest.raises(UsageError):
        _removal.plan_removal(namespace, instance=instance)
