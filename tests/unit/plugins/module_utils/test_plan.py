# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan: states, verdicts, messages and its dictionary form."""

from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _plan
from ansible_collections.fastrestart.aerospike.plugins.module_utils._codec import get_codec
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import RefusedError, ShmError
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import decode
from ansible_collections.fastrestart.aerospike.plugins.module_utils._layout import BaseHeader
from ansible_collections.fastrestart.aerospike.plugins.module_utils._segment_set import Member

__metaclass__ = type


def item(key=0xAE001100, size=4096, compressed=True):
    member = Member(decode(key), size, 65534, 65534, 0o640, shmid=7, file_size=None)
    return _plan.Item(member, '%08x.dat%s' % (key, '.gz' if compressed else ''), compressed)


def ns(name, sizes=(), operation='backup', problems=(), done=False):
    out = _plan.NamespacePlan(operation, name, 0)
    out.items = [item(0xAE001100 + i, size) for i, size in enumerate(sizes)]
    for code in problems:
        out.refuse(code, '%s problem of %s' % (code, name))
    out.already_done = done
    return out


def plan(operation='backup', *namespaces):
    out = _plan.Plan(operation, '/var/backups/shm', 0, 2, get_codec('zlib'), compress=True)
    out.namespaces.extend(namespaces)
    return out


def test_problem_to_dict():
    problem = _plan.Problem('attached', 'segments are attached', keys=[0xAE001000, 0xAD001001], path='/b', pids=[42])
    assert problem.to_dict() == {'code': 'attached', 'message': 'segments are attached',
                                 'keys': ['0xae001000', '0xad001001'], 'path': '/b', 'pids': [42]}
    assert _plan.Problem('x', 'y').to_dict() == {'code': 'x', 'message': 'y'}
    assert repr(_plan.Problem('x', 'y')) == "Problem('x', 'y')"


def test_item_to_dict():
    one = item(0xAD00107F, 100000)
    one.expected_crc = 0xC71C0011
    assert one.to_dict() == {
        'key': '0xad00107f', 'type': 'data-stage', 'stage': '0x07f', 'instance': 0, 'nsid': 1, 'size': 100000,
        'file': 'ad00107f.dat.gz', 'file_size': None, 'compressed': True, 'uid': 65534, 'gid': 65534, 'mode': '0640',
        'shmid': 7, 'crc32': '0xc71c0011'}
    base = item(0xAE001000, compressed=False).to_dict()
    assert (base['type'], base['stage'], base['crc32']) == ('pi-base', None, None)


@pytest.mark.parametrize('problems, done, state', [
    ((), False, _plan.READY), ((), True, _plan.ALREADY_DONE), (('incomplete',), False, _plan.REFUSED),
    (('incomplete',), True, _plan.REFUSED),
])
def test_namespace_state(problems, done, state):
    assert ns('test', (1, 2), problems=problems, done=done).state == state


def test_namespace_bytes_and_dict():
    one = ns('test', (4096, 1 << 20))
    one.base = BaseHeader(12, 1, 'test', 2)
    one.warnings.append('w')
    out = one.to_dict()
    assert one.bytes == 4096 + (1 << 20) == out['bytes']
    assert out['state'] == 'ready' and out['namespace'] == 'test' and out['problems'] == []
    assert out['base'] == {'version': 12, 'shutdown': 1, 'name': 'test', 'n_arenas': 2}
    assert [s['key'] for s in out['segments']] == ['0xae001100', '0xae001101']
    assert out['warnings'] == ['w']


def test_ready_plan():
    p = plan('backup', ns('test', (100, 200)), ns('bar', (1000,)))
    assert p.ok and p.changed
    assert [n.namespace for n in p.runnable()] == ['test', 'bar']
    assert p.bytes == 1300
    assert p.message() == 'would back up test, bar (1300 bytes) to /var/backups/shm'
    p.raise_if_refused()


def test_done_namespaces_are_not_changed_and_not_counted():
    p = plan('restore', ns('test', (100,), operation='restore', done=True), ns('bar', (50,), operation='restore'))
    assert p.ok and p.changed
    assert [n.namespace for n in p.runnable()] == ['bar']
    assert p.bytes == 50
    assert p.message() == 'would restore bar (50 bytes) from /var/backups/shm; test already restored and equal to the backup'
    all_done = plan('backup', ns('test', (100,), done=True))
    assert all_done.ok and not all_done.changed and all_done.runnable() == []
    assert all_done.message() == 'test already backed up in /var/backups/shm'


@pytest.mark.parametrize('operation, text', [('verify', 'would verify test (7 bytes) from /var/backups/shm'),
                                             ('restore', 'would restore test (7 bytes) from /var/backups/shm')])
def test_message_verbs(operation, text):
    assert plan(operation, ns('test', (7,), operation=operation)).message() == text


def test_nothing_to_do():
    assert plan('backup').message() == 'nothing to do'
    assert not plan('backup').changed


@pytest.mark.parametrize('count, suffix', [(1, ''), (2, ' (and 1 more problem)'), (3, ' (and 2 more problems)')])
def test_refused_message_counts_the_rest(count, suffix):
    p = plan('backup', ns('test', (1,), problems=['p%d' % i for i in range(count)]))
    assert not p.ok and not p.changed
    assert p.message() == 'p0 problem of test' + suffix


def test_one_refused_namespace_stops_changed_but_not_the_others():
    p = plan('backup', ns('test', (1,), problems=['incomplete']), ns('bar', (2,)))
    assert not p.ok and not p.changed
    # as in ASMT, the other namespaces still run
    assert [n.namespace for n in p.runnable()] == ['bar']


def test_plan_level_problem_stops_everything():
    p = plan('backup', ns('test', (1,)))
    p.refuse('folder', "Cannot write to directory '/x'.", path='/x')
    assert not p.ok and not p.changed and p.runnable() == []
    assert p.message() == "Cannot write to directory '/x'."
    assert [q.code for q in p.all_problems()] == ['folder']


def test_raise_if_refused_carries_the_plan():
    p = plan('backup', ns('test', (1,), problems=['unclean']), ns('bar', (2,)))
    with pytest.raises(RefusedError) as caught:
        p.raise_if_refused()
    error = caught.value
    assert isinstance(error, ShmError)
    assert error.msg == str(error) == 'unclean problem of test'
    assert error.facts['plan'] == p.to_dict()
    assert error.facts['plan']['namespaces'][0]['problems'] == [{'code': 'unclean', 'message': 'unclean problem of test'}]


def test_to_dict_is_json():
    p = plan('backup', ns('test', (1, 2)))
    p.facts['free_bytes'] = 10
    p.warnings.append('careful')
    p.create_folder = True
    out = p.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert {k: out[k] for k in ('operation', 'path', 'instance', 'threads', 'codec', 'compress', 'changed', 'ok', 'bytes',
                                'problems', 'warnings', 'facts', 'create_folder')} == {
        'operation': 'backup', 'path': '/var/backups/shm', 'instance': 0, 'threads': 2, 'codec': 'zlib',
        'compress': True, 'changed': True, 'ok': True, 'bytes': 3, 'problems': [], 'warnings': ['careful'],
        'facts': {'free_bytes': 10}, 'create_folder': True}


def snapshot(plan):
    """Everything a plan says, and every field of its items, as text that can be compared."""
    items = [sorted((k, repr(v)) for k, v in vars(i).items() if k != 'member') for ns in plan.namespaces for i in ns.items]
    return json.dumps(plan.to_dict(), sort_keys=True, default=repr), repr(items)


@pytest.mark.parametrize('compress', [False, True])
def test_a_run_leaves_its_plan_as_planned(shm, tmp_path, compress):
    """Analyze and execute share the plan: executing it (with -c) changes nothing in it."""
    from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup, _restore
    shm.make_set(stages=2, stage_size=300000)
    path = str(tmp_path / 'bk')
    backup = _backup.plan_backup(path, ['test'], compress=compress)
    before = snapshot(backup)
    result = _backup.execute_backup(backup, verify=True)
    assert snapshot(backup) == before
    made = dict((s['key'], s['crc32']) for s in result['namespaces'][0]['segments'])
    assert all(crc is not None for crc in made.values()) and backup.namespaces[0].items[0].expected_crc is None
    shm.remove_all()
    restore = _restore.plan_restore(path, ['test'])
    before = snapshot(restore)
    result = _restore.execute_restore(restore, verify=True)
    assert snapshot(restore) == before
    restored = result['namespaces'][0]['segments']
    assert dict((s['key'], s['crc32']) for s in restored) == made
    assert all(s['shmid'] is not None for s in restored) and all(i.shmid is None for i in restore.namespaces[0].items)
