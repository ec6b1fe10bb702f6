# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore from real files into real segments: round trips, ordering, ownership, refusals."""

from __future__ import absolute_import, division, print_function

import os
import time

import pytest
import sysv_ipc

import shm_sets
from shm_sets import DATA, PRIMARY, SECONDARY, key

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
    RefusedError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._version import VERSION

__metaclass__ = type


def backup(path, namespaces=('test',), **kwargs):
    plan = _backup.plan_backup(str(path), list(namespaces), **kwargs)
    plan.raise_if_refused()
    return _backup.execute_backup(plan)


def restore(path, namespaces=('test',), **kwargs):
    plan = _restore.plan_restore(str(path), list(namespaces), **kwargs)
    plan.raise_if_refused()
    return _restore.execute_restore(plan)


def codes(plan):
    return sorted(set(p.code for p in plan.all_problems()))


def messages(plan):
    return ' | '.join(p.message for p in plan.all_problems())


def assert_refused(plan, code, before=None):
    assert not plan.ok and not plan.changed, plan.message()
    assert code in codes(plan), messages(plan)
    with pytest.raises(RefusedError):
        plan.raise_if_refused()
    fingerprint = shm_sets.segments()
    result = _restore.execute_restore(plan)
    assert result['changed'] is False
    assert shm_sets.segments() == fingerprint


SETS = {
    'index-only': dict(stages=3),
    'with-sindex': dict(stages=2, sindex_stages=3),
    'with-stripes': dict(stages=2, stripes=4, stripe_size=8192 + 5),
    'stripes-other-nsid': dict(stages=1, sindex_stages=1, stripes=3, data_nsid=5),
}


@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'compressed'])
@pytest.mark.parametrize('shape', sorted(SETS))
def test_round_trip_equal_contents_owner_and_mode(shm, tmp_path, compress, shape):
    shm.make_set(instance=4, nsid=3, name='test', mode=0o640, uid=4321, gid=5432, **SETS[shape])
    before = shm.fingerprint()
    backup(tmp_path / 'bk', instance=4, compress=compress)
    shm.remove_all()
    result = restore(tmp_path / 'bk', instance=4)
    assert result['changed'] is True and result['namespaces'][0]['state'] == 'done'
    assert shm.fingerprint() == before
    assert all(info['nattch'] == 0 for info in shm_sets.segments().values())


def test_orphan_data_only_set_round_trip(shm, tmp_path):
    """docs/asmt-format.md §2.6: after an unclean shutdown the server may keep only its data stripes."""
    made = shm.make_set(stages=1, stripes=3, data_nsid=4)
    for label in ('base', 'treex', 'pi-0x100'):
        shm.remove(made[label])
    before = shm.fingerprint()
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'], compress=True)
    assert plan.ok and plan.namespaces[0].orphan
    assert any('orphan' in w for w in plan.namespaces[0].warnings)
    _backup.execute_backup(plan)
    assert sorted(n for n in os.listdir(str(tmp_path / 'bk')) if n.endswith('.gz')) == sorted(
        '%08x.dat.gz' % made['data-0x%03x' % i] for i in range(3))
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert plan.ok and plan.namespaces[0].orphan
    _restore.execute_restore(plan)
    assert shm.fingerprint() == before


def _watch_segments(base_key, log):
    """A progress callback recording every segment's mode/owner and whether the base has data yet."""
    def progress(done, total):
        entries = shm_sets.proc_entries()
        base = entries.get(base_key)
        base_data = None
        if base is not None:
            base_data = any(shm_sets.ShmFactory().read(base_key)[:8])
        log.append((dict((k, (int(v['perms'], 8) & 0o777, int(v['uid']), int(v['gid'])))
                         for k, v in entries.items()), base_data, done, total))
    return progress


def test_segments_are_0600_root_until_filled_and_base_is_filled_last(shm, tmp_path):
    made = shm.make_set(stages=3, sindex_stages=1, stripes=2, mode=0o644, uid=1111, gid=2222,
                        stage_size=5 << 20, base_size=8192)
    before = shm.fingerprint()
    backup(tmp_path / 'bk', compress=True)
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'], threads=2)
    plan.raise_if_refused()
    log = []
    _restore.execute_restore(plan, progress=_watch_segments(made['base'], log))
    assert len(log) > 5
    for modes, dummy, dummy, dummy in log:
        # While data flows, every segment is private to root; owners and modes come at the end.
        assert set(modes) == set(made.values())
        assert set(modes.values()) == {(0o600, 0, 0)}
    base_filled = [base_data for dummy, base_data, dummy, dummy in log]
    first = base_filled.index(True)
    # The base stays empty while anything else is being copied.
    assert not any(base_filled[:first]) and all(base_filled[first:])
    non_base_bytes = sum(v[0] for k, v in before.items() if k != made['base'])
    assert all(done >= non_base_bytes for dummy, filled, done, dummy in log if filled)
    assert shm.fingerprint() == before


def test_failure_in_last_stage_leaves_no_base_and_no_segment(shm, tmp_path):
    made = shm.make_set(stages=3, stripes=1)
    backup(tmp_path / 'bk', compress=True)
    files = shm_sets.snapshot(str(tmp_path / 'bk'))
    shm.remove_all()
    last = str(tmp_path / 'bk' / ('%08x.dat.gz' % made['pi-0x102']))
    # Damage the gzip trailer's CRC: every byte inflates, the stage fails at its very end.
    shm_sets.flip_byte(last, -8)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'], threads=1)
    plan.raise_if_refused()
    log = []
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan, progress=_watch_segments(made['base'], log))
    assert '%08x.dat.gz' % made['pi-0x102'] in info.value.msg
    assert log and not any(base_data for dummy, base_data, dummy, dummy in log)
    assert shm_sets.segments() == {}
    files[os.path.basename(last)] = shm_sets.snapshot(str(tmp_path / 'bk'))[os.path.basename(last)]
    assert shm_sets.snapshot(str(tmp_path / 'bk')) == files


def test_verify_reads_restored_segments_back(shm, tmp_path, monkeypatch):
    """ASMT's -c after a restore is the core's: a mismatch fails the namespace and removes its segments."""
    shm.make_set(stages=2, stripes=1)
    fingerprint = shm.fingerprint()
    backup(tmp_path / 'bk')
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    result = _restore.execute_restore(plan, verify=True)
    assert result['namespaces'][0]['state'] == 'done' and result['namespaces'][0]['crc_checked'] is True
    assert shm.fingerprint() == fingerprint

    shm.remove_all()
    real = _restore.segment_crcs
    monkeypatch.setattr(_restore, 'segment_crcs', lambda *args: dict(
        (key, crc ^ 1) for key, crc in real(*args).items()))
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan, verify=True)
    assert "crc32-check failed for restored segment" in info.value.msg
    assert 'every segment of the namespace was removed' in info.value.msg
    assert info.value.facts['result']['namespaces'][0]['state'] == 'failed'
    assert shm_sets.segments() == {}


def test_c_asmt_backup_without_manifest_restores(shm, tmp_path):
    """A folder as C ASMT leaves it (docs/asmt-format.md §5.2): no manifest, base and meta plain, others .dat.gz."""
    stage = os.urandom(70000)
    stripe = bytearray(os.urandom(50000))
    stripe[12:44] = shm_sets.data_bytes('c-made')[12:44]
    files = shm_sets.c_backup_files('c-made', 6, 9, [
        (PRIMARY, None, 0, shm_sets.base_bytes('c-made', 2, size=4096)),
        (PRIMARY, None, 1, b'treex' * 10),
        (PRIMARY, None, 0x100, stage),
        (PRIMARY, None, 0x101, bytes(4096)),
        (SECONDARY, None, 0, shm_sets.meta_bytes(1, size=4096)),
        (SECONDARY, None, 0x100, b'S'),
        (DATA, 12, 0, bytes(stripe)),
        (DATA, 12, 1, bytes(stripe)),
    ])
    shm_sets.write_files(str(tmp_path / 'c'), files, mode=0o640)
    for name in files:
        os.chown(str(tmp_path / 'c' / name), 1001, 1002)
    plan = _restore.plan_restore(str(tmp_path / 'c'), ['c-made'], instance=6)
    assert plan.ok, plan.message()
    assert any('no manifest' in w for w in plan.namespaces[0].warnings)
    _restore.execute_restore(plan)
    segments = shm_sets.segments()
    assert sorted(segments) == sorted(int(name[:8], 16) for name in files)
    assert shm.read(key(PRIMARY, 6, 9, 0x100)) == stage
    assert shm.read(key(DATA, 6, 12, 1)) == bytes(stripe)
    assert shm.read(key(PRIMARY, 6, 9, 1)) == b'treex' * 10
    for info in segments.values():
        assert (info['uid'], info['gid'], info['mode']) == (1001, 1002, 0o640)


def test_in_progress_marker_refuses_restore(shm, tmp_path):
    shm.make_set()
    backup(tmp_path / 'bk')
    shm.remove_all()
    marker = _manifest.write_marker(str(tmp_path / 'bk'), 0, 'test', VERSION)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    # This process wrote the marker and is alive: the backup is running, not stale.
    assert codes(plan) == ['in-progress'] and 'another backup is running (pid %d)' % os.getpid() in messages(plan)
    assert_refused(plan, 'in-progress')
    assert marker not in messages(plan)


def test_existing_segments_refuse_restore(shm, tmp_path):
    made = shm.make_set(stages=2)
    backup(tmp_path / 'bk')
    # Different from the backup: something else lives in these keys now.
    shm.write(made['pi-0x101'], b'newer')
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    text = ("Found existing Aerospike primary index segment 0x%08x with instance 0, namespace 'test' (nsid 1): cannot "
            "restore associated file." % made['pi-0x101'])
    assert text in messages(plan) and 'ipcrm -M 0x%08x' % made['pi-0x101'] in messages(plan)
    assert_refused(plan, 'exists')


def _past_the_second(epoch):
    # ctime has whole seconds: wait until a segment made now reads as later than epoch.
    while time.time() < int(epoch) + 1.05:
        time.sleep(0.05)


@pytest.mark.parametrize('manifest', [True, False], ids=['manifest', 'c-asmt'])
def test_segments_asd_ran_on_since_the_backup_are_not_called_stale(shm, tmp_path, manifest):
    """After a restore, asd ran on the set and wrote to it: removing it to restore the older
    backup would roll the index back, so the refusal must not advise that."""
    made = shm.make_set(stages=2)
    backup(tmp_path / 'bk')
    if not manifest:
        os.unlink(str(tmp_path / 'bk' / 'fastrestart-i0-test.manifest.json'))
    _past_the_second(max(os.stat(str(p)).st_mtime for p in (tmp_path / 'bk').iterdir()))
    shm.remove_all()
    restore(tmp_path / 'bk')
    shm.write(made['pi-0x101'], b'written by asd after the restore')
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert 'These segments are newer than the backup' in messages(plan), messages(plan)
    assert 'Do not remove them' in messages(plan) and 'ipcrm' not in messages(plan)
    assert_refused(plan, 'exists')


def test_leftovers_of_a_killed_restore_may_be_removed(shm, tmp_path):
    """A restore killed half-way leaves later segments but a base of zeros: those are stale."""
    made = shm.make_set(stages=1)
    backup(tmp_path / 'bk')
    _past_the_second(time.time())
    shm.remove_all()
    shm.create(made['base'], 4096)
    shm.create(made['pi-0x100'], 4096)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert 'newer than the backup' not in messages(plan)
    assert 'unfinished restore' in messages(plan) and '--remove-unfinished' in messages(plan)
    assert '0x%08x (shmid ' % made['base'] in messages(plan)
    assert_refused(plan, 'exists')


def test_one_stray_segment_of_the_set_refuses(shm, tmp_path):
    made = shm.make_set(stages=1, sindex_stages=1)
    backup(tmp_path / 'bk')
    shm.remove_all()
    shm.create(made['si-0x100'], 4096)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert "Found existing Aerospike secondary index segment 0x%08x" % made['si-0x100'] in messages(plan)
    assert_refused(plan, 'exists')


def test_attached_existing_segments_refuse_naming_pids(shm, tmp_path):
    made = shm.make_set()
    backup(tmp_path / 'bk')
    shm.attach(made['base'])
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    problem = [p for p in plan.all_problems() if p.code == 'attached'][0]
    assert '0x%08x' % made['base'] in problem.message and str(os.getpid()) in problem.message
    assert_refused(plan, 'attached')


def test_segments_of_other_sets_do_not_block(shm, tmp_path):
    """TOOLS-2334: other namespaces' and instances' secondary segments, and foreign keys, are not this set."""
    shm.make_set(nsid=1, name='test', sindex_stages=1)
    backup(tmp_path / 'bk')
    shm.remove_all()
    shm.make_set(nsid=2, name='other', sindex_stages=1)
    shm.make_set(instance=1, nsid=1, name='test', sindex_stages=1)
    shm.create(0xFF001000, 4096)
    shm.create(0xA3001000, 4096)
    restore(tmp_path / 'bk')


@pytest.mark.parametrize('limit', ['shmmax', 'shmall', 'shmmni'])
def test_kernel_limits_refuse_naming_sysctl_and_value(shm, tmp_path, kernel_limit, limit):
    shm.make_set(stages=2, stage_size=1 << 20)
    backup(tmp_path / 'bk')
    shm.remove_all()
    shm.create(0x12345678, 8192)        # one unrelated segment in use: counted against the limits
    page = os.sysconf('SC_PAGE_SIZE')
    sizes = [4096, 4096, 1 << 20, 1 << 20]
    value, needed = {
        'shmmax': ((1 << 20) - 1, 1 << 20),
        'shmall': (100, 8192 // page + sum((s + page - 1) // page for s in sizes)),
        'shmmni': (3, 1 + len(sizes)),
    }[limit]
    kernel_limit(limit, value)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['kernel-limits']
    assert 'kernel.%s is %d' % (limit, value) in messages(plan)
    assert 'sysctl -w kernel.%s=%d' % (limit, needed) in messages(plan)
    assert_refused(plan, 'kernel-limits')
    kernel_limit(limit, needed)
    restore(tmp_path / 'bk')


@pytest.mark.parametrize('folder_mode, file_mode, refused', [
    (0o700, 0o666, False),
    (0o755, 0o644, False),
    (0o755, 0o666, True),
    (0o770, 0o600, True),
    (0o777, 0o600, True),
])
def test_folder_permission_rule(shm, tmp_path, folder_mode, file_mode, refused):
    shm.make_set(mode=file_mode)
    before = shm.fingerprint()
    target = tmp_path / 'bk'
    backup(target)
    shm.remove_all()
    os.chmod(str(target), folder_mode)
    plan = _restore.plan_restore(str(target), ['test'])
    if refused:
        assert codes(plan) == ['folder-permissions']
        assert 'chmod 0700 %s' % target in messages(plan)
        assert_refused(plan, 'folder-permissions')
    else:
        assert plan.ok, plan.message()
        _restore.execute_restore(plan)
        assert shm.fingerprint() == before


def test_missing_folder_refuses(shm, tmp_path):
    plan = _restore.plan_restore(str(tmp_path / 'nope'), ['test'])
    assert codes(plan) == ['folder'] and "Cannot read from directory '%s'" % (tmp_path / 'nope') in messages(plan)


@pytest.mark.parametrize('kind', ['symlink', 'directory', 'fifo'])
def test_non_regular_files_refused(shm, tmp_path, kind):
    made = shm.make_set(stages=2)
    target = tmp_path / 'bk'
    backup(target)
    shm.remove_all()
    name = '%08x.dat' % made['pi-0x101']
    path = str(target / name)
    os.rename(path, str(tmp_path / 'elsewhere.dat'))
    if kind == 'symlink':
        os.symlink(str(tmp_path / 'elsewhere.dat'), path)
        expected = 'symbolic link'
    elif kind == 'directory':
        os.mkdir(path, 0o700)
        expected = 'not a regular file'
    else:
        os.mkfifo(path, 0o600)
        expected = 'not a regular file'
    plan = _restore.plan_restore(str(target), ['test'])
    assert 'unreadable' in codes(plan)
    assert path in messages(plan) and expected in messages(plan)
    assert_refused(plan, 'unreadable')


def test_restore_again_is_unchanged(shm, tmp_path):
    shm.make_set(stages=2, stripes=2, mode=0o640, uid=77, gid=88)
    backup(tmp_path / 'bk', compress=True)
    shm.remove_all()
    restore(tmp_path / 'bk')
    before = shm.fingerprint()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert plan.ok and plan.changed is False and plan.namespaces[0].state == 'already_done'
    assert 'already restored' in plan.message()
    result = _restore.execute_restore(plan)
    assert result['changed'] is False and result['namespaces'][0]['state'] == 'unchanged'
    assert shm.fingerprint() == before


def test_restore_again_after_mode_change_is_refused(shm, tmp_path):
    made = shm.make_set()
    backup(tmp_path / 'bk')
    shm.remove_all()
    restore(tmp_path / 'bk')
    memory = sysv_ipc.SharedMemory(made['treex'])
    memory.mode = 0o600
    memory.detach()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['exists']


def test_nothing_to_restore_is_a_failure_naming_what_is_there(shm, tmp_path):
    shm.make_set(name='test')
    backup(tmp_path / 'bk')
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['other'])
    assert codes(plan) == ['not-found']
    assert "namespace 'other'" in messages(plan) and "'test'" in messages(plan)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'], instance=5)
    assert codes(plan) == ['not-found']
    assert_refused(plan, 'not-found')


def test_manifest_must_match_files(shm, tmp_path):
    made = shm.make_set(stages=2)
    backup(tmp_path / 'bk')
    shm.remove_all()
    os.unlink(str(tmp_path / 'bk' / ('%08x.dat' % made['pi-0x101'])))
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert 'manifest-mismatch' in codes(plan) or 'incomplete' in codes(plan)
    assert '%08x.dat' % made['pi-0x101'] in messages(plan)
    assert_refused(plan, 'manifest-mismatch')
