# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Failures part-way through a run: each one is reported, and leaves nothing half-done behind."""

from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys
import threading

import pytest

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    IntegrityError,
)

__metaclass__ = type

# A process that attaches a segment as asd would: it reports, then holds on (or lets go at once).
ATTACHER = r'''
import sys, sysv_ipc
memory = sysv_ipc.SharedMemory(int(sys.argv[1]))
if sys.argv[2] == 'detach':
    # It writes before it lets go: the segment really changed under the backup.
    memory.write(b'changed by another process', 3000)
    memory.detach()
sys.stdout.write('ready\n')
sys.stdout.flush()
sys.stdin.readline()
'''


class Attacher:
    def __init__(self, seg_key, detach=False):
        self.process = subprocess.Popen([sys.executable, '-c', ATTACHER, str(seg_key), 'detach' if detach else 'hold'],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        assert self.process.stdout.readline() == 'ready\n'
        self.pid = self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.write('\n')
            self.process.stdin.flush()
            self.process.wait(10)


@pytest.fixture
def attachers():
    started = []

    def start(seg_key, detach=False):
        started.append(Attacher(seg_key, detach))
        return started[-1]
    yield start
    for attacher in started:
        attacher.stop()


def planned_backup(path, compress=False, **kwargs):
    plan = _backup.plan_backup(str(path), ['test'], compress=compress, **kwargs)
    plan.raise_if_refused()
    return plan


def planned_restore(path, **kwargs):
    plan = _restore.plan_restore(str(path), ['test'], **kwargs)
    plan.raise_if_refused()
    return plan


def made_backup(shm, path, compress, **set_args):
    made = shm.make_set(**set_args)
    before = shm.fingerprint()
    _backup.execute_backup(planned_backup(path, compress))
    shm.remove_all()
    return made, before


def run_with_deadline(function, seconds=60):
    """Run function in a thread: a run that hangs (C ASMT loops on a short file) fails the test instead."""
    outcome = {}

    def target():
        try:
            outcome['value'] = function()
        except BaseException as exc:  # pylint: disable=broad-except
            outcome['error'] = exc
    thread = threading.Thread(target=target)
    thread.daemon = True
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), 'the run did not finish within %d s' % seconds
    if 'error' in outcome:
        raise outcome['error']
    return outcome.get('value')


@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'compressed'])
def test_enospc_mid_backup_leaves_no_file_and_segments_untouched(shm, small_tmpfs, compress):
    made = shm.make_set(stages=3, stage_size=1 << 20, stripes=2)
    before = shm.fingerprint()
    mount = small_tmpfs(8 << 20)
    target = os.path.join(mount, 'bk')
    plan = planned_backup(target, compress, allow_volatile_path=True)
    # The space the plan saw goes away before the run: only 1 MiB remains for 3 MiB of stages.
    with open(os.path.join(mount, 'filler'), 'wb') as handle:
        handle.write(b'\1' * (os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize - (1 << 20)))
    with pytest.raises(ExecutionError) as info:
        _backup.execute_backup(plan)
    assert 'No space left on device' in info.value.msg
    assert info.value.facts['result']['namespaces'][0]['state'] == 'failed'
    # The folder the run created is gone with everything in it.
    assert os.listdir(mount) == ['filler']
    assert shm.fingerprint() == before
    assert all(info['nattch'] == 0 for info in shm_sets.segments().values())
    assert made


def test_enospc_in_existing_folder_removes_only_what_the_run_created(shm, small_tmpfs):
    shm.make_set(stages=2, stage_size=1 << 20)
    mount = small_tmpfs(8 << 20)
    shm_sets.write_files(mount, {'notes.txt': b'keep me', 'ae101000.dat': b'other instance'})
    plan = planned_backup(mount, allow_volatile_path=True)
    with open(os.path.join(mount, 'filler'), 'wb') as handle:
        handle.write(b'\1' * (os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize - (512 << 10)))
    with pytest.raises(ExecutionError):
        _backup.execute_backup(plan)
    assert sorted(os.listdir(mount)) == ['ae101000.dat', 'filler', 'notes.txt']


@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'compressed'])
def test_file_truncated_between_plan_and_restore(shm, tmp_path, compress):
    made, dummy = made_backup(shm, tmp_path / 'bk', compress, stages=2, stage_size=200000, stripes=1)
    plan = planned_restore(tmp_path / 'bk')
    name = '%08x%s' % (made['pi-0x101'], '.dat.gz' if compress else '.dat')
    path = str(tmp_path / 'bk' / name)
    os.truncate(path, os.path.getsize(path) // 2)
    files = shm_sets.snapshot(str(tmp_path / 'bk'))
    with pytest.raises(IntegrityError) as info:
        run_with_deadline(lambda: _restore.execute_restore(plan))
    assert path in info.value.msg and 'changed since the analysis' in info.value.msg
    assert shm_sets.segments() == {}
    assert shm_sets.snapshot(str(tmp_path / 'bk')) == files


def test_file_truncated_without_manifest_fails_and_does_not_hang(shm, tmp_path):
    """C ASMT retries a pread that returns 0 forever (docs/asmt-format.md §7, difference 11). With no manifest the size
    check cannot catch a shortened .dat, so the read itself must stop at end of file."""
    made, dummy = made_backup(shm, tmp_path / 'bk', False, stages=2, stage_size=200000)
    for name in os.listdir(str(tmp_path / 'bk')):
        if name.endswith('.json'):
            os.unlink(str(tmp_path / 'bk' / name))
    plan = planned_restore(tmp_path / 'bk')
    # The file shrinks after the run checked its size: simulated by recording the shorter size
    # in the plan while the segment keeps the planned one, so the read meets end of file early.
    path = str(tmp_path / 'bk' / ('%08x.dat' % made['pi-0x101']))
    item = [i for i in plan.namespaces[0].items if i.file == os.path.basename(path)][0]
    os.truncate(path, 100000)
    item.file_size = 100000     # as if the plan had seen it at this size, while the segment is 200000
    with pytest.raises(IntegrityError) as info:
        run_with_deadline(lambda: _restore.execute_restore(plan))
    assert 'truncated' in info.value.msg and path in info.value.msg
    assert shm_sets.segments() == {}


@pytest.mark.parametrize('where', ['middle', 'trailer-crc'])
def test_flipped_byte_in_dat_gz_restore_fails_leaving_nothing(shm, tmp_path, where):
    made, dummy = made_backup(shm, tmp_path / 'bk', True, stages=2, stage_size=300000, stripes=2, stripe_size=300000)
    name = '%08x.dat.gz' % made['data-0x001']
    shm_sets.flip_byte(str(tmp_path / 'bk' / name), {'middle': 5000, 'trailer-crc': -8}[where])
    files = shm_sets.snapshot(str(tmp_path / 'bk'))
    plan = planned_restore(tmp_path / 'bk')
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert name in info.value.msg
    assert shm_sets.segments() == {}
    assert shm_sets.snapshot(str(tmp_path / 'bk')) == files


def test_flipped_byte_in_dat_gz_without_manifest_caught_by_gzip_trailer(shm, tmp_path):
    made, dummy = made_backup(shm, tmp_path / 'bk', True, stages=1, stage_size=300000)
    for name in os.listdir(str(tmp_path / 'bk')):
        if name.endswith('.json'):
            os.unlink(str(tmp_path / 'bk' / name))
    name = '%08x.dat.gz' % made['pi-0x100']
    shm_sets.flip_byte(str(tmp_path / 'bk' / name), -8)
    plan = planned_restore(tmp_path / 'bk')
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert name in info.value.msg
    assert shm_sets.segments() == {}


def test_flipped_byte_in_dat_restore_fails_on_manifest_crc(shm, tmp_path):
    made, dummy = made_backup(shm, tmp_path / 'bk', False, stages=2, stage_size=300000)
    name = '%08x.dat' % made['pi-0x100']
    shm_sets.flip_byte(str(tmp_path / 'bk' / name), 150000)
    plan = planned_restore(tmp_path / 'bk')
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert name in info.value.msg and 'the manifest records' in info.value.msg
    assert shm_sets.segments() == {}


def test_segment_attached_after_plan_fails_backup_naming_key_and_pid(shm, tmp_path, attachers):
    made = shm.make_set(stages=2, stripes=1)
    before = shm.fingerprint()
    plan = planned_backup(tmp_path / 'bk')
    attacher = attachers(made['pi-0x101'])
    with pytest.raises(ExecutionError) as info:
        _backup.execute_backup(plan)
    assert '0x%08x' % made['pi-0x101'] in info.value.msg and str(attacher.pid) in info.value.msg
    assert 'stop asd' in info.value.msg
    assert not os.path.exists(str(tmp_path / 'bk'))
    attacher.stop()
    assert shm.fingerprint() == before


@pytest.mark.parametrize('detach', [False, True], ids=['stays-attached', 'attaches-and-detaches'])
def test_segment_attached_during_backup_fails_it(shm, tmp_path, attachers, detach):
    made = shm.make_set(stages=2, stage_size=8 << 20, stripes=1)
    before = shm.fingerprint()
    plan = planned_backup(tmp_path / 'bk', threads=1)
    started = []

    # The base is copied first: a change to it now is one the copy missed.
    victim = made['data-0x000'] if not detach else made['base']

    def progress(done, total):
        if not started:
            started.append(attachers(victim, detach=detach))
    with pytest.raises(ExecutionError) as info:
        _backup.execute_backup(plan, progress=progress)
    assert started
    assert '0x%08x' % victim in info.value.msg
    assert str(started[0].pid) in info.value.msg
    assert not os.path.exists(str(tmp_path / 'bk'))
    for attacher in started:
        attacher.stop()
    if not detach:
        assert shm.fingerprint() == before


def test_segment_created_by_someone_else_during_restore(shm, tmp_path):
    """asd starting during a restore: the create fails, everything made so far is removed."""
    made, dummy = made_backup(shm, tmp_path / 'bk', False, stages=3, stripes=1)
    plan = planned_restore(tmp_path / 'bk')
    shm.create(made['data-0x000'], 4096)
    with pytest.raises(ExecutionError) as info:
        _restore.execute_restore(plan)
    assert 'Could not create segment with key 0x%08x' % made['data-0x000'] in info.value.msg
    assert 'File exists' in info.value.msg
    assert sorted(shm_sets.segments()) == [made['data-0x000']]


def test_file_created_by_someone_else_during_backup(shm, tmp_path):
    """A name taken between plan and run: O_EXCL fails, and every file made so far goes (stripes too)."""
    made = shm.make_set(stages=2, stripes=3)
    (tmp_path / 'bk').mkdir(mode=0o700)
    plan = planned_backup(tmp_path / 'bk')
    shm_sets.write_files(str(tmp_path / 'bk'), {'%08x.dat' % made['data-0x002']: b'someone else'})
    with pytest.raises(ExecutionError) as info:
        _backup.execute_backup(plan)
    assert '%08x.dat' % made['data-0x002'] in info.value.msg
    assert os.listdir(str(tmp_path / 'bk')) == ['%08x.dat' % made['data-0x002']]


def test_folder_created_by_someone_else_between_plan_and_backup(shm, tmp_path):
    shm.make_set()
    plan = planned_backup(tmp_path / 'bk')
    assert plan.create_folder
    (tmp_path / 'bk').mkdir(mode=0o700)
    with pytest.raises(ExecutionError) as info:
        _backup.execute_backup(plan)
    assert str(tmp_path / 'bk') in info.value.msg and 'plan again' in info.value.msg
    assert os.listdir(str(tmp_path / 'bk')) == []
