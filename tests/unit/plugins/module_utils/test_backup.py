# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup against real segments and real files: output format, ownership, manifest, refusals."""

from __future__ import absolute_import, division, print_function

import json
import os
import socket
import stat
import zlib

import pytest

import shm_sets
from shm_sets import DATA, PRIMARY, SECONDARY, key

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    RefusedError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._version import VERSION

__metaclass__ = type


def backup(path, namespaces=('test',), **kwargs):
    plan = _backup.plan_backup(str(path), list(namespaces), **kwargs)
    plan.raise_if_refused()
    return plan, _backup.execute_backup(plan)


def codes(plan):
    return sorted(set(p.code for p in plan.all_problems()))


def messages(plan):
    return ' | '.join(p.message for p in plan.all_problems())


def boot_id():
    with open('/proc/sys/kernel/random/boot_id') as handle:
        return handle.read().strip()


def assert_refused_and_nothing_created(plan, target, code):
    assert not plan.ok and not plan.changed
    assert code in codes(plan), messages(plan)
    with pytest.raises(RefusedError):
        plan.raise_if_refused()
    # A refused plan executes nothing: no folder, no file, no marker.
    existed = set(os.listdir(str(target))) if os.path.isdir(str(target)) else None
    result = _backup.execute_backup(plan)
    assert result['changed'] is False
    after = set(os.listdir(str(target))) if os.path.isdir(str(target)) else None
    assert after == existed


@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'compressed'])
def test_backup_files_contents_ownership_and_manifest(shm, tmp_path, compress):
    made = shm.make_set(instance=2, nsid=7, name='test', stages=2, sindex_stages=2, stripes=2, data_nsid=9,
                        mode=0o640, uid=1234, gid=2345, stage_size=3 * 4096 + 17)
    before = shm.fingerprint()
    target = tmp_path / 'bk'
    plan, result = backup(target, instance=2, compress=compress)

    assert result['changed'] is True
    assert result['namespaces'][0]['state'] == 'done'
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o700
    expected = {}
    for label, seg_key in made.items():
        plain = label in ('base', 'meta') or not compress
        expected['%08x%s' % (seg_key, '.dat' if plain else '.dat.gz')] = seg_key
    manifest_file = _manifest.manifest_name(2, 'test')
    # Exactly the segment files and the manifest: no marker, no temporary file.
    assert sorted(os.listdir(str(target))) == sorted(list(expected) + [manifest_file])
    for name, seg_key in expected.items():
        path = str(target / name)
        st = os.stat(path)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640), name
        with open(path, 'rb') as handle:
            blob = handle.read()
        segment = shm.read(seg_key)
        if name.endswith('.gz'):
            (magic, version, size, crc), data, rest = shm_sets.inflate_asmt_gz(blob)
            # One gzip member right after the 24-byte header, nothing after it.
            assert blob[:4] == b'ASMT' and (magic, version) == (shm_sets.ASMT_MAGIC, 1)
            assert (size, crc) == (len(segment), zlib.crc32(segment))
            assert rest == b'' and data == segment
        else:
            assert blob == segment
    with open(str(target / manifest_file)) as handle:
        manifest = json.load(handle)
    assert manifest['tool_version'] == VERSION
    assert manifest['host'] == socket.gethostname()
    assert manifest['boot_id'] == boot_id()
    assert manifest['created'].endswith('Z') and manifest['created_epoch'] > 0
    assert (manifest['instance'], manifest['namespace'], manifest['nsid']) == (2, 'test', 7)
    assert manifest['compressed'] is compress
    assert [f['file'] for f in manifest['files']] == [
        '%08x%s' % (made[label], '.dat' if label in ('base', 'meta') or not compress else '.dat.gz')
        for label in ('base', 'treex', 'pi-0x100', 'pi-0x101', 'meta', 'si-0x100', 'si-0x101', 'data-0x000',
                      'data-0x001')]
    for entry in manifest['files']:
        seg_key = int(entry['key'], 16)
        segment = shm.read(seg_key)
        assert entry['segment_size'] == len(segment)
        assert entry['file_size'] == os.stat(str(target / entry['file'])).st_size
        assert entry['compressed'] is entry['file'].endswith('.gz')
        assert (entry['uid'], entry['gid'], entry['mode']) == (1234, 2345, '0640')
        assert entry['crc32'] == '0x%08x' % zlib.crc32(segment)
    types = dict((int(e['key'], 16), (e['type'], e['stage'])) for e in manifest['files'])
    assert types[made['base']] == ('pi-base', None)
    assert types[made['treex']] == ('pi-treex', None)
    assert types[made['pi-0x101']] == ('pi-stage', '0x101')
    assert types[made['meta']] == ('si-meta', None)
    assert types[made['si-0x100']] == ('si-stage', '0x100')
    assert types[made['data-0x001']] == ('data-stage', '0x001')
    # The source is only read.
    assert shm.fingerprint() == before


def test_root_segments_0666_give_0666_files_in_0700_folder_that_restore(shm, tmp_path):
    """What a real root-run asd leaves: 0666 segments. The folder keeps others out."""
    shm.make_set(stages=2, stripes=2, mode=0o666)
    before = shm.fingerprint()
    target = tmp_path / 'bk'
    backup(target, compress=True)
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o700
    for name in os.listdir(str(target)):
        if not name.startswith('fastrestart-'):
            assert stat.S_IMODE(os.stat(str(target / name)).st_mode) == 0o666
    from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
    shm.remove_all()
    plan = _restore.plan_restore(str(target), ['test'])
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    assert shm.fingerprint() == before


def test_folder_created_with_0700_and_only_one_level(shm, tmp_path):
    shm.make_set()
    plan = _backup.plan_backup(str(tmp_path / 'missing' / 'bk'), ['test'])
    assert codes(plan) == ['folder'] and 'parent' in messages(plan) and 'create it first' in messages(plan)
    assert not (tmp_path / 'missing').exists()
    old = os.umask(0o022)
    try:
        backup(tmp_path / 'bk')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(tmp_path / 'bk')).st_mode) == 0o700


def test_create_parents_plans_the_missing_root_and_creates_it(shm, tmp_path):
    shm.make_set()
    target = tmp_path / 'aerospike' / 'cycle' / 'bk'
    plan = _backup.plan_backup(str(target), ['test'], create_parents=True)
    assert plan.ok, plan.message()
    parents = [str(tmp_path / 'aerospike'), str(tmp_path / 'aerospike' / 'cycle')]
    assert plan.create_parents == parents and plan.create_folder
    assert plan.to_dict()['create_parents'] == parents
    assert not (tmp_path / 'aerospike').exists()       # analysis creates nothing
    old = os.umask(0o022)
    try:
        _backup.execute_backup(plan)
    finally:
        os.umask(old)
    for folder in parents + [str(target)]:
        st = os.stat(folder)
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o700, os.geteuid())
    assert _manifest.manifest_name(0, 'test') in os.listdir(str(target))


def test_create_parents_without_missing_parents_changes_nothing(shm, tmp_path):
    shm.make_set()
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'], create_parents=True)
    assert plan.ok and plan.create_parents == [] and plan.create_folder


def test_create_parents_keeps_the_refusals_of_unsafe_parents(shm, tmp_path):
    shm.make_set()
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    target = shared / 'aerospike' / 'bk'
    plan = _backup.plan_backup(str(target), ['test'], create_parents=True)
    assert codes(plan) == ['folder-permissions'] and 'parent folder %s is writable' % shared in messages(plan)
    os.chmod(str(shared), 0o755)
    os.chown(str(shared), 65534, 65534)
    plan = _backup.plan_backup(str(target), ['test'], create_parents=True)
    assert codes(plan) == ['folder-owner'] and 'belongs to uid 65534' in messages(plan)
    assert os.listdir(str(shared)) == []


def test_create_parents_refuses_a_file_in_the_way(shm, tmp_path):
    shm.make_set()
    (tmp_path / 'file').write_text('x')
    plan = _backup.plan_backup(str(tmp_path / 'file' / 'deeper' / 'bk'), ['test'], create_parents=True)
    assert codes(plan) == ['folder'] and '%s exists and is not a folder' % (tmp_path / 'file') in messages(plan)
    plan = _backup.plan_backup(str(tmp_path / 'file' / 'bk'), ['test'], create_parents=True)
    assert codes(plan) == ['folder'] and 'is not a folder' in messages(plan)


def test_a_failed_backup_removes_the_parents_it_created(shm, tmp_path, monkeypatch):
    shm.make_set()
    target = tmp_path / 'aerospike' / 'cycle' / 'bk'
    plan = _backup.plan_backup(str(target), ['test'], create_parents=True)

    def failing(*args, **kwargs):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(_manifest, 'write_marker', failing)
    with pytest.raises(ExecutionError):
        _backup.execute_backup(plan)
    assert os.listdir(str(tmp_path)) == []


def test_existing_folder_keeps_its_mode(shm, tmp_path):
    shm.make_set(mode=0o600)
    target = tmp_path / 'bk'
    target.mkdir(mode=0o750)
    os.chmod(str(target), 0o750)
    backup(target)
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o750


def test_refuses_attached_member_naming_keys_and_pids(shm, tmp_path):
    made = shm.make_set(stages=2)
    shm.attach(made['pi-0x101'])
    target = tmp_path / 'bk'
    plan = _backup.plan_backup(str(target), ['test'])
    problem = [p for p in plan.all_problems() if p.code == 'attached'][0]
    assert '0x%08x' % made['pi-0x101'] in problem.message
    assert 'pid %d' % os.getpid() in problem.message
    assert 'stop asd' in problem.message
    assert problem.keys == [made['pi-0x101']] and problem.pids == [os.getpid()]
    assert_refused_and_nothing_created(plan, target, 'attached')


def test_refuses_unclean_shutdown(shm, tmp_path):
    made = shm.make_set(shutdown=0)
    target = tmp_path / 'bk'
    plan = _backup.plan_backup(str(target), ['test'])
    assert ('Shutdown status in base segment 0x%08x: expecting status 1, found status 0.' % made['base']) in messages(plan)
    assert 'clean shutdown' in messages(plan)
    assert_refused_and_nothing_created(plan, target, 'unclean')


@pytest.mark.parametrize('skip, text', [
    (('treex',), "Missing treex segment for instance 0, namespace 'test' (nsid 1)."),
    (('pi-0x100',), "Missing primary stage segment 100 for instance 0, namespace 'test' (nsid 1)."),
    (('si-0x100',), "No secondary stage segments for instance 0, namespace 'test' (nsid 1)."),
])
def test_refuses_incomplete_set(shm, tmp_path, skip, text):
    shm.make_set(stages=2, sindex_stages=1, skip=skip)
    target = tmp_path / 'bk'
    plan = _backup.plan_backup(str(target), ['test'])
    assert text in messages(plan)
    assert_refused_and_nothing_created(plan, target, 'incomplete')


@pytest.mark.parametrize('name', ['ad001777.dat', 'AE001100.dat.gz', 'ae001000.dat'])
def test_refuses_existing_files_of_the_set(shm, tmp_path, name):
    shm.make_set()
    target = tmp_path / 'bk'
    shm_sets.write_files(str(target), {name: b'old'})
    plan = _backup.plan_backup(str(target), ['test'])
    assert ("Found existing Aerospike file '%s/%s' with instance 0, namespace 'test' (nsid 1): cannot back up "
            "associated segment." % (target, name)) in messages(plan)
    assert_refused_and_nothing_created(plan, target, 'exists')
    with open(str(target / name), 'rb') as handle:
        assert handle.read() == b'old'


def test_files_of_other_sets_do_not_block(shm, tmp_path):
    shm.make_set(nsid=1, name='test')
    target = tmp_path / 'bk'
    # Another instance and another nsid: not this set's files.
    shm_sets.write_files(str(target), {'ae101000.dat': b'x', 'ae002000.dat': b'y', 'notes.txt': b'z'})
    plan, dummy = backup(target)
    assert plan.ok


def test_refuses_short_free_space(shm, small_tmpfs):
    shm.make_set(stage_size=2 << 20)
    target = os.path.join(small_tmpfs(1 << 20), 'bk')
    plan = _backup.plan_backup(target, ['test'], allow_volatile_path=True)
    problem = [p for p in plan.all_problems() if p.code == 'no-space'][0]
    assert 'free' in problem.message and str(plan.facts['needed_bytes']) in problem.message
    assert plan.facts['needed_bytes'] > plan.facts['free_bytes']
    assert_refused_and_nothing_created(plan, target, 'no-space')
    assert not os.path.exists(target)


def test_compressed_worst_case_is_what_counts_for_space(shm, small_tmpfs):
    # Zeros compress to nothing, but the plan cannot know that before reading them.
    shm.make_set(stage_size=2 << 20, random=False)
    target = os.path.join(small_tmpfs(1 << 20), 'bk')
    plan = _backup.plan_backup(target, ['test'], compress=True, allow_volatile_path=True)
    assert 'no-space' in codes(plan)


def test_refuses_volatile_path_unless_allowed(shm, small_tmpfs):
    made = shm.make_set()
    target = os.path.join(small_tmpfs(8 << 20), 'bk')
    plan = _backup.plan_backup(target, ['test'])
    assert codes(plan) == ['volatile-path']
    assert 'tmpfs' in messages(plan) and 'reboot' in messages(plan)
    assert_refused_and_nothing_created(plan, target, 'volatile-path')
    plan, dummy = backup(target, allow_volatile_path=True)
    assert plan.facts['filesystem_volatile'] == 'tmpfs'
    assert os.path.exists(os.path.join(target, '%08x.dat' % made['base']))


def test_namespace_not_found_is_a_failure_naming_what_exists(shm, tmp_path):
    shm.make_set(name='test')
    target = tmp_path / 'bk'
    plan = _backup.plan_backup(str(target), ['other'])
    assert codes(plan) == ['not-found']
    assert "namespace 'other'" in messages(plan) and "'test'" in messages(plan)
    assert_refused_and_nothing_created(plan, target, 'not-found')


def test_no_segments_at_all_is_a_failure(shm, tmp_path):
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['not-found'] and 'no Aerospike segments' in messages(plan)


def test_second_namespace_runs_when_first_is_refused(shm, tmp_path):
    shm.make_set(nsid=1, name='bad', shutdown=0)
    shm.make_set(nsid=2, name='good')
    target = tmp_path / 'bk'
    plan = _backup.plan_backup(str(target), ['bad', 'good'])
    assert [ns.state for ns in plan.namespaces] == ['refused', 'ready']
    assert not plan.ok
    result = _backup.execute_backup(plan)
    assert [ns['state'] for ns in result['namespaces']] == ['refused', 'done']
    assert os.path.exists(str(target / _manifest.manifest_name(0, 'good')))
    assert not any(name.startswith('ae001') for name in os.listdir(str(target)))


@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'compressed'])
def test_backup_again_is_unchanged_when_files_equal_segments(shm, tmp_path, compress):
    made = shm.make_set(stages=2, stripes=1)
    target = tmp_path / 'bk'
    backup(target, compress=compress)
    files = shm_sets.snapshot(str(target))
    plan = _backup.plan_backup(str(target), ['test'], compress=compress)
    assert plan.ok and plan.changed is False
    assert plan.namespaces[0].state == 'already_done'
    result = _backup.execute_backup(plan)
    assert result['changed'] is False and result['namespaces'][0]['state'] == 'unchanged'
    assert shm_sets.snapshot(str(target)) == files

    # Other compression: the files are not what was asked for.
    plan = _backup.plan_backup(str(target), ['test'], compress=not compress)
    assert codes(plan) == ['exists'] and 'compression' in messages(plan)

    # Changed contents: the old backup is not this one.
    shm.write(made['pi-0x101'], b'changed')
    plan = _backup.plan_backup(str(target), ['test'], compress=compress)
    assert codes(plan) == ['exists']
    assert 'contents differ' in messages(plan) and '0x%08x' % made['pi-0x101'] in messages(plan)
    assert shm_sets.snapshot(str(target)) == files


def test_backup_again_refused_when_a_file_is_gone(shm, tmp_path):
    made = shm.make_set()
    target = tmp_path / 'bk'
    backup(target)
    os.unlink(str(target / ('%08x.dat' % made['treex'])))
    plan = _backup.plan_backup(str(target), ['test'])
    assert codes(plan) == ['exists'] and 'missing' in messages(plan)


def test_in_progress_marker_refuses_backup(shm, tmp_path):
    shm.make_set()
    target = tmp_path / 'bk'
    target.mkdir(mode=0o700)
    _manifest.write_marker(str(target), 0, 'test', VERSION)
    plan = _backup.plan_backup(str(target), ['test'])
    # The marker is this (live) process's: another backup is running.
    assert codes(plan) == ['in-progress'] and 'another backup is running (pid %d)' % os.getpid() in messages(plan)


def test_multiple_namespaces_and_instances_are_independent(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='a')
    shm.make_set(instance=0, nsid=2, name='b', stripes=1)
    shm.make_set(instance=1, nsid=1, name='a')
    target = tmp_path / 'bk'
    backup(target, ['a', 'b'])
    backup(target, ['a'], instance=1)
    names = os.listdir(str(target))
    for manifest in (_manifest.manifest_name(0, 'a'), _manifest.manifest_name(0, 'b'), _manifest.manifest_name(1, 'a')):
        assert manifest in names
    assert '%08x.dat' % key(DATA, 0, 2, 0) in names
    assert '%08x.dat' % key(PRIMARY, 1, 1, 0) in names
    assert '%08x.dat' % key(SECONDARY, 0, 1, 0) not in names
