# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shm_segments's main() on real segments: removal, check mode, idempotence, refusals, isolation."""

from __future__ import absolute_import, division, print_function

import os

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_restore
from ansible_collections.fastrestart.aerospike.tests.unit.plugins.modules.utils import killed_restore
from ansible_collections.fastrestart.aerospike.plugins.modules import shm_segments

__metaclass__ = type


def _neighbours(shm):
    """Another namespace of the same instance and the same namespace name in instance 1."""
    other = shm.make_set(nsid=2, name='bar', stages=1, stripes=1)
    inst1 = shm.make_set(instance=1, nsid=1, name='test', stages=1, stripes=1)
    return set(other.values()) | set(inst1.values())


def test_removes_the_whole_namespace_and_nothing_else(shm, run):
    made = shm.make_set(stages=2, sindex_stages=2, stripes=3, data_nsid=5)
    keep = _neighbours(shm)
    kept = dict((k, v) for k, v in shm.fingerprint().items() if k in keep)

    failed, result = run(shm_segments, {'namespace': 'test', 'state': 'absent'})

    assert not failed, result['msg']
    assert result['changed'] is True
    assert sorted(int(r['key'], 16) for r in result['removed']) == sorted(made.values())
    assert result['bytes'] == len(made) * 4096
    expected = "removed %d segments (%d bytes) of namespace 'test' in instance 0" % (len(made), len(made) * 4096)
    assert result['msg'] == expected
    assert shm.fingerprint() == kept


def test_check_mode_removes_nothing_and_agrees_with_real_run(shm, run):
    made = shm.make_set(stages=1, stripes=1)
    before = shm.fingerprint()
    failed, checked = run(shm_segments, {'namespace': 'test', 'state': 'absent'}, check_mode=True)
    assert not failed
    assert checked['changed'] is True
    assert checked['msg'].startswith("would remove %d segments" % len(made))
    assert shm.fingerprint() == before
    failed, real = run(shm_segments, {'namespace': 'test', 'state': 'absent'})
    assert not failed
    assert [r['key'] for r in real['removed']] == [r['key'] for r in checked['removed']]
    assert shm_sets.segments() == {}


def test_second_run_is_unchanged(shm, run):
    shm.make_set(stages=1)
    failed = run(shm_segments, {'namespace': 'test', 'state': 'absent'})[0]
    assert not failed
    for check_mode in (True, False):
        failed, again = run(shm_segments, {'namespace': 'test', 'state': 'absent'}, check_mode=check_mode)
        assert not failed
        assert again['changed'] is False
        assert again['removed'] == []
        assert 'nothing to remove' in again['msg']


def test_removes_an_orphan_data_set_and_an_incomplete_one(shm, run):
    shm.make_set(stages=2, stripes=2, skip=('base',))
    failed, result = run(shm_segments, {'namespace': 'test', 'state': 'absent'})
    assert not failed
    # Without a base the index segments cannot be tied to the name: only the named stripes go.
    assert sorted(r['role'] for r in result['removed']) == ['data-stage', 'data-stage']
    made = shm.make_set(nsid=3, name='inc', stages=3, skip=('treex', 'pi-0x101'))
    failed, result = run(shm_segments, {'namespace': 'inc', 'state': 'absent'})
    assert not failed
    assert sorted(int(r['key'], 16) for r in result['removed']) == sorted(
        v for k, v in made.items() if k not in ('treex', 'pi-0x101'))


def test_refuses_when_attached_naming_keys_and_pids(shm, run):
    made = shm.make_set(stages=1, stripes=1)
    shm.attach(made['data-0x000'])
    before = shm.fingerprint()
    for check_mode in (True, False):
        failed, result = run(shm_segments, {'namespace': 'test', 'state': 'absent'}, check_mode=check_mode)
        assert failed
        assert '0x%08x' % made['data-0x000'] in result['msg']
        assert 'pid %d' % os.getpid() in result['msg']
        problem = result['problems'][0]
        assert problem['code'] == 'attached' and problem['namespace'] == 'test'
        assert problem['facts']['pids'] == [os.getpid()]
    assert shm.fingerprint() == before


def test_refuses_an_ambiguous_name(shm, run):
    shm.make_set(nsid=1, name='test', stages=1)
    shm.make_set(nsid=2, name='test', stages=1)
    failed, result = run(shm_segments, {'namespace': 'test', 'state': 'absent'})
    assert failed
    assert result['problems'][0]['code'] == 'ambiguous'
    assert len(shm_sets.segments()) == 6


def test_rejects_bad_arguments(run):
    failed, result = run(shm_segments, {'namespace': 'test', 'state': 'present'})
    assert failed and 'state' in result['msg']
    failed, result = run(shm_segments, {'namespace': 'test', 'state': 'absent', 'instance': 99})
    assert failed and 'Instance must be from 0..15' in result['msg']
    failed, result = run(shm_segments, {'namespace': 'x' * 33, 'state': 'absent'})
    assert failed and 'longer than the 32 bytes' in result['msg']


def _unfinished(shm, nsid=3):
    """What a restore killed before it filled its base leaves: the set's segments, the base all zeros."""
    made = shm.make_set(nsid=nsid, name='gone', stages=2, sindex_stages=1, random=False, skip=('base',))
    shm.create(made['base'], 4096)
    return made


def test_nsid_removes_an_unfinished_set_whose_base_is_zeros(shm, run):
    made = _unfinished(shm)
    keep = _neighbours(shm)
    kept = dict((k, v) for k, v in shm.fingerprint().items() if k in keep)

    failed, result = run(shm_segments, {'nsid': 3, 'state': 'absent'}, check_mode=True)
    assert not failed, result['msg']
    assert result['changed'] and sorted(int(r['key'], 16) for r in result['removed']) == sorted(made.values())
    assert set(made.values()) <= set(shm.fingerprint())

    failed, result = run(shm_segments, {'nsid': 3, 'state': 'absent'})
    assert not failed, result['msg']
    assert result['msg'] == 'removed %d segments (%d bytes) of the unfinished set of namespace id 3 in instance 0' % (
        len(made), len(made) * 4096)
    assert shm.fingerprint() == kept


def test_nsid_refuses_a_set_whose_base_names_a_namespace(shm, run):
    made = shm.make_set(nsid=2, name='bar', stages=1)

    failed, result = run(shm_segments, {'nsid': 2, 'state': 'absent'})

    assert failed
    assert "names namespace 'bar'" in result['msg'] and 'namespace=bar state=absent' in result['msg']
    assert [p['code'] for p in result['problems']] == ['finished']
    assert set(made.values()) <= set(shm.fingerprint())


def test_nsid_refuses_an_attached_unfinished_set(shm, run):
    made = _unfinished(shm)
    shm.attach(made['treex'])

    failed, result = run(shm_segments, {'nsid': 3, 'state': 'absent'})

    assert failed and [p['code'] for p in result['problems']] == ['attached']
    assert 'the unfinished set of namespace id 3' in result['msg']
    assert set(made.values()) <= set(shm.fingerprint())


def test_namespace_and_nsid_are_exclusive(run):
    failed, result = run(shm_segments, {'namespace': 'test', 'nsid': 1, 'state': 'absent'})
    assert failed and 'mutually exclusive' in result['msg']
    failed, result = run(shm_segments, {'nsid': 33, 'state': 'absent'})
    assert failed and 'Namespace id must be from 1..32' in result['msg']


def test_the_advice_of_a_refused_restore_works(shm, run, tmp_path):
    """A restore killed without its journal: the refusal names shm_segments nsid=N, which clears the way."""
    wanted = killed_restore(shm, run, str(tmp_path / 'bk'))

    failed, result = run(shm_restore, {'path': str(tmp_path / 'bk'), 'namespaces': ['test']})
    assert failed and 'shm_segments nsid=1 state=absent' in str(result)
    assert not run(shm_segments, {'nsid': 1, 'state': 'absent'})[0]
    failed, result = run(shm_restore, {'path': str(tmp_path / 'bk'), 'namespaces': ['test']})
    assert not failed, result['msg']
    assert shm.fingerprint() == wanted
