# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 9 through the command line: a root tool that cannot be turned against its host and
never leaves an operator stuck. Each test names the item of the issue it proves."""

from __future__ import absolute_import, division, print_function

import io
import json
import os
import signal
import subprocess
import sys

import pytest

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _engine
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _journal

__metaclass__ = type

NOBODY = 65534
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
PYASMT = os.path.join(ROOT, 'bin', 'pyasmt')
MANIFEST = 'fastrestart-i0-test.manifest.json'
MARKER = 'fastrestart-i0-test.in-progress'


class Result:
    def __init__(self, status, out, err):
        self.returncode, self.stdout, self.stderr = status, out, err
        self.text = out + err


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    status = _cli.main([str(a) for a in args], prog='pyasmt', stdout=out, stderr=err)
    return Result(status, out.getvalue(), err.getvalue())


def pyasmt(*args):
    proc = subprocess.run([PYASMT] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def backed_up(shm, path, compress=False, **set_args):
    made = shm.make_set(**set_args)
    args = ['-b', '-p', path, '-n', 'test'] + (['-z'] if compress else [])
    assert cli(*args).returncode == 0
    return made


def on_first_progress(monkeypatch, action):
    """Run action() once, from inside the copy, the first time the engine reports progress."""
    original = _engine.Engine.advance
    fired = []

    def advance(self, nbytes):
        if not fired:
            fired.append(action())
        return original(self, nbytes)
    monkeypatch.setattr(_engine.Engine, 'advance', advance)
    return fired


def segment_files(path):
    return sorted(n for n in os.listdir(str(path)) if '.dat' in n)


# ---- 1. Trust only what root controls ---------------------------------------------------

def test_folder_owned_by_a_user_is_refused_for_backup_and_restore(shm, tmp_path):
    """1 folder owner: a 0700 folder of an unprivileged user, including -a."""
    bk = tmp_path / 'bk'
    backed_up(shm, bk)
    shm.remove_all()
    os.chown(str(bk), NOBODY, NOBODY)
    for args in (['-a', '-r'], ['-r']):
        result = cli(*(args + ['-p', bk, '-n', 'test']))
        assert result.returncode == 1 and 'folder %s belongs to uid %d' % (bk, NOBODY) in result.text
        assert 'chown root' in result.text and not shm_sets.segments()
    shm.make_set()
    result = cli('-a', '-b', '-p', bk, '-n', 'test')
    assert result.returncode == 1 and 'belongs to uid %d' % NOBODY in result.text


def test_symlink_in_a_user_folder_is_refused(shm, tmp_path):
    """1 symlinks: the parents of realpath() were checked, not the path given."""
    bk = tmp_path / 'bk'
    backed_up(shm, bk)
    shm.remove_all()
    theirs = tmp_path / 'theirs'
    theirs.mkdir()
    os.symlink(str(bk), str(theirs / 'link'))
    os.chown(str(theirs), NOBODY, NOBODY)
    result = cli('-a', '-r', '-p', theirs / 'link', '-n', 'test')
    assert result.returncode == 1 and 'parent folder %s belongs to uid %d' % (theirs, NOBODY) in result.text


def test_path_repointed_between_plan_and_restore_changes_nothing(shm, tmp_path, monkeypatch):
    """1 symlinks: every step goes through the folder opened at plan time, never the path."""
    made = backed_up(shm, tmp_path / 'a')
    first = shm.fingerprint()
    shm.remove_all()
    shm.make_set()
    assert cli('-b', '-p', tmp_path / 'b', '-n', 'test').returncode == 0
    shm.remove_all()
    link = tmp_path / 'link'
    os.symlink(str(tmp_path / 'a'), str(link))
    original = _cli.Run.report_plan

    def repoint(run):
        os.unlink(str(link))
        os.symlink(str(tmp_path / 'b'), str(link))
        return original(run)
    monkeypatch.setattr(_cli.Run, 'report_plan', repoint)
    result = cli('-r', '-p', link, '-n', 'test')
    assert result.returncode == 0, result.text
    assert shm.fingerprint() == first and made


def test_fifo_swapped_in_after_the_plan_cannot_block_the_restore(shm, tmp_path, monkeypatch):
    """1 symlinks: files are opened O_NONBLOCK and checked by fstat, so a FIFO fails at once."""
    made = backed_up(shm, tmp_path / 'bk', stages=2)
    shm.remove_all()
    victim = tmp_path / 'bk' / ('%08x.dat' % made['pi-0x101'])
    original = _cli.Run.report_plan

    def swap(run):
        os.unlink(str(victim))
        os.mkfifo(str(victim))
        return original(run)
    monkeypatch.setattr(_cli.Run, 'report_plan', swap)
    result = cli('-r', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and 'cannot be opened as a regular file' in result.text
    assert not shm_sets.segments()


def test_segment_takes_the_manifest_owner_and_verify_reports_drift(shm, tmp_path):
    """1 owner and mode: a chown of a .dat does not make that user the owner of root's segment."""
    made = backed_up(shm, tmp_path / 'bk', mode=0o600)
    shm.remove_all()
    stage = tmp_path / 'bk' / ('%08x.dat' % made['pi-0x100'])
    os.chown(str(stage), NOBODY, NOBODY)
    os.chmod(str(stage), 0o644)
    verify = cli('--verify', '-p', tmp_path / 'bk')
    assert verify.returncode == 1 and 'is not verified' in verify.text
    assert 'owner %d:%d mode 0644, the manifest records 0:0 mode 0600' % (NOBODY, NOBODY) in verify.text
    result = cli('-r', '-v', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 0, result.text
    assert 'the manifest records 0:0 mode 0600' in result.text
    info = shm_sets.segments()[made['pi-0x100']]
    assert (info['uid'], info['gid'], info['mode']) == (0, 0, 0o600)


def _edit_manifest(path, change):
    with open(str(path)) as handle:
        document = json.load(handle)
    change(document)
    with open(str(path), 'w') as handle:
        json.dump(document, handle)


def test_manifest_file_names_are_never_paths(shm, tmp_path):
    """1 manifest paths: '../elsewhere' in a manifest must not count as 'already backed up'."""
    made = backed_up(shm, tmp_path / 'bk')
    name = '%08x.dat' % made['pi-0x100']
    os.mkdir(str(tmp_path / 'elsewhere'))
    os.rename(str(tmp_path / 'bk' / name), str(tmp_path / 'elsewhere' / name))

    def point_away(document):
        for entry in document['files']:
            if entry['file'] == name:
                entry['file'] = '../elsewhere/' + name
    _edit_manifest(tmp_path / 'bk' / MANIFEST, point_away)
    result = cli('-b', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and 'the manifest is damaged' in result.text


def test_already_done_means_verified_crcs(shm, tmp_path):
    """1 manifest sizes: a same-size file with 4 KiB zeroed is not 'already backed up'."""
    made = backed_up(shm, tmp_path / 'bk', stage_size=65536)
    with open(str(tmp_path / 'bk' / ('%08x.dat' % made['pi-0x100'])), 'r+b') as handle:
        handle.write(b'\0' * 4096)
    result = cli('-b', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and 'is damaged' in result.text and 'CRC-32' in result.text
    assert 'already backed up' not in result.text


@pytest.mark.parametrize('change', [
    lambda doc: '[' * 200000,
    lambda doc: dict(doc, files=[dict(doc['files'][1], chunk_offsets=34, chunk_size=1 << 25)] + doc['files'][2:]),
    lambda doc: dict(doc, files=[dict(f, chunk_size='33554432', chunk_offsets=[34]) for f in doc['files']]),
    lambda doc: dict(doc, created_epoch='2026-12-03'),
    lambda doc: dict(doc, files=[dict(f, segment_size=-1) for f in doc['files']]),
    lambda doc: dict(doc, instance=[0]),
], ids=['deep', 'chunk-offsets-int', 'chunk-size-text', 'epoch-text', 'negative-size', 'instance-list'])
def test_any_manifest_gives_a_message_never_a_traceback(shm, tmp_path, change):
    """1 manifest shape: the schema is checked, and --json always prints its document."""
    backed_up(shm, tmp_path / 'bk', compress=True)
    shm.remove_all()
    path = tmp_path / 'bk' / MANIFEST
    with open(str(path)) as handle:
        document = change(json.load(handle))
    with open(str(path), 'w') as handle:
        handle.write(document if isinstance(document, str) else json.dumps(document))
    for args in (['-r', '--json'], ['--verify', '--json']):
        result = pyasmt(*(args + ['-p', tmp_path / 'bk', '-n', 'test']))
        assert result.returncode == 1 and 'Traceback' not in result.text
        doc = json.loads(result.stdout)
        assert 'manifest' in doc['result']['message'] and not doc['result']['ok']
    assert not shm_sets.segments()


def test_reserved_gzip_flags_are_rejected_whatever_the_codec(shm, tmp_path):
    """1 gzip headers: RFC 1952's FLG reserved bits make the file damaged (isal accepts them)."""
    made = backed_up(shm, tmp_path / 'bk', compress=True)
    shm.remove_all()
    path = tmp_path / 'bk' / ('%08x.dat.gz' % made['pi-0x100'])
    with open(str(path), 'r+b') as handle:
        handle.seek(24 + 3)
        handle.write(b'\xe0')
    for args in (['-a', '-r'], ['-r'], ['--verify']):
        result = cli(*(args + ['-p', tmp_path / 'bk', '-n', 'test']))
        assert result.returncode == 1 and 'reserved flag bits (FLG 0xe0)' in result.text, result.text
    assert not shm_sets.segments()


# ---- 2. Never report success over a loss ------------------------------------------------

def test_files_deleted_during_the_backup_fail_it(shm, tmp_path, monkeypatch):
    """2: every file must still be linked under its name before the manifest is written."""
    shm.make_set(stages=2, stage_size=1 << 20)
    bk = tmp_path / 'bk'

    def delete():
        for name in segment_files(bk):
            os.unlink(str(bk / name))
        return True
    on_first_progress(monkeypatch, delete)
    result = cli('-b', '-c', '-t', '1', '-p', bk, '-n', 'test')
    assert result.returncode == 1 and 'deleted or replaced while the backup ran' in result.text
    assert not os.path.exists(str(bk)) or os.listdir(str(bk)) == []


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def _kill_backup_midway(path, compress=False):
    """A backup killed by SIGKILL after its files were created: marker and files are left."""
    script = r'''
import os, sys
sys.path.insert(0, %r)
import collection_path
collection_path.register()
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup, _engine
original = _engine.Engine.advance
def advance(self, nbytes):
    os.kill(os.getpid(), 9)
_engine.Engine.advance = advance
plan = _backup.plan_backup(%r, ['test'], compress=%r, threads=1)
_backup.execute_backup(plan)
''' % (os.path.join(ROOT, 'bin'), str(path), compress)
    proc = subprocess.run([sys.executable, '-c', script], timeout=60, check=False)
    assert proc.returncode == -9


def test_live_marker_is_another_backup_and_dead_one_lists_its_files(shm, tmp_path):
    """2 marker: a live run is 'another backup is running (pid N)'; a dead run's files are listed."""
    shm.make_set()
    bk = tmp_path / 'bk'
    _kill_backup_midway(bk)
    left = segment_files(bk)
    assert MARKER in os.listdir(str(bk)) and left
    result = cli('-a', '-r', '-p', bk, '-n', 'test')
    assert result.returncode == 1 and 'Run that backup again to finish it, or remove its files' in result.text
    for name in left + [MARKER]:
        assert str(bk / name) in result.text
    with open(str(bk / MARKER)) as handle:
        document = json.load(handle)
    document['pid'] = os.getpid()
    with open(str(bk / MARKER), 'w') as handle:
        json.dump(document, handle)
    for args in (['-a', '-r'], ['-a', '-b']):
        result = cli(*(args + ['-p', bk, '-n', 'test']))
        assert result.returncode == 1 and 'another backup is running (pid %d)' % os.getpid() in result.text
        assert 'remove its files' not in result.text


def test_analyze_finds_an_empty_file_as_the_run_would(shm, tmp_path):
    """2 analyze: a 0-byte .dat is a damaged file, found by -a; never 'sysctl -w kernel.shmmax=0'."""
    made = backed_up(shm, tmp_path / 'bk')
    shm.remove_all()
    with open(str(tmp_path / 'bk' / ('%08x.dat' % made['pi-0x100'])), 'wb'):
        pass
    for args in (['-a', '-r'], ['-r']):
        result = cli(*(args + ['-p', tmp_path / 'bk', '-n', 'test']))
        assert result.returncode == 1 and 'is empty (0 bytes)' in result.text and 'shmmax' not in result.text
    assert not shm_sets.segments()


def test_absurd_segment_size_is_a_damaged_header(shm, tmp_path):
    """2 analyze: a .dat.gz header claiming 2^64-1 bytes is damaged, not a kernel limit to raise."""
    made = backed_up(shm, tmp_path / 'bk', compress=True)
    shm.remove_all()
    for name in os.listdir(str(tmp_path / 'bk')):
        if name.endswith('.json'):
            os.unlink(str(tmp_path / 'bk' / name))
    with open(str(tmp_path / 'bk' / ('%08x.dat.gz' % made['pi-0x100'])), 'r+b') as handle:
        handle.seek(8)
        handle.write(b'\xff' * 8)
    for args in (['-a', '-r'], ['-r']):
        result = cli(*(args + ['-p', tmp_path / 'bk', '-n', 'test']))
        assert result.returncode == 1 and 'the header is damaged' in result.text and 'shmmax' not in result.text


# ---- 3. Interruptions ---------------------------------------------------------------------

@pytest.fixture
def survive_signals():
    """Old code would die of the signal (or of KeyboardInterrupt); record instead, restore after."""
    seen = []
    saved = dict((s, signal.signal(s, lambda n, f: seen.append(n))) for s in (signal.SIGHUP, signal.SIGTERM))
    yield seen
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.parametrize('signum', [signal.SIGHUP, signal.SIGTERM])
def test_signal_mid_backup_leaves_nothing(shm, tmp_path, monkeypatch, survive_signals, signum):
    """3 signals: an SSH drop (SIGHUP) cleans up as SIGTERM and SIGINT do."""
    shm.make_set(stages=2, stage_size=1 << 20)
    before = shm.fingerprint()
    on_first_progress(monkeypatch, lambda: os.kill(os.getpid(), signum))
    result = cli('-b', '-z', '-t', '1', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and 'Interrupted' in result.text
    assert not os.path.exists(str(tmp_path / 'bk')) and shm.fingerprint() == before


def test_sighup_mid_restore_leaves_nothing(shm, tmp_path, monkeypatch, survive_signals):
    backed_up(shm, tmp_path / 'bk', stages=2, stage_size=1 << 20)
    shm.remove_all()
    on_first_progress(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGHUP))
    result = cli('-r', '-t', '1', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and 'Interrupted' in result.text
    assert not shm_sets.segments()


def _kill_restore_midway(path):
    """A restore killed by SIGKILL once its segments exist and the base is still empty."""
    script = r'''
import os, sys
sys.path.insert(0, %r)
import collection_path
collection_path.register()
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore, _engine
def advance(self, nbytes):
    os.kill(os.getpid(), 9)
_engine.Engine.advance = advance
plan = _restore.plan_restore(%r, ['test'], threads=1)
_restore.execute_restore(plan)
''' % (os.path.join(ROOT, 'bin'), str(path))
    proc = subprocess.run([sys.executable, '-c', script], timeout=60, check=False)
    assert proc.returncode == -9


def test_killed_restore_is_finished_by_the_same_restore(shm, tmp_path):
    """3 killed restore: its journal under /run lets the same command remove its segments and finish."""
    backed_up(shm, tmp_path / 'bk', stages=2)
    wanted = shm.fingerprint()
    shm.remove_all()
    _kill_restore_midway(tmp_path / 'bk')
    assert set(shm_sets.segments()) == set(wanted)
    assert os.listdir(_journal.run_dir())
    result = cli('-r', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 0, result.text
    assert shm.fingerprint() == wanted and not os.listdir(_journal.run_dir())


def test_killed_restore_without_journal_names_keys_and_can_be_removed(shm, tmp_path):
    """3 killed restore, no journal: exact keys and shmids, and --remove-unfinished (zero base included)."""
    backed_up(shm, tmp_path / 'bk', stages=2)
    wanted = shm.fingerprint()
    shm.remove_all()
    _kill_restore_midway(tmp_path / 'bk')
    for name in os.listdir(_journal.run_dir()):
        os.unlink(os.path.join(_journal.run_dir(), name))
    left = shm_sets.segments()
    result = cli('-r', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and '--remove-unfinished' in result.text
    for seg_key, info in left.items():
        assert '0x%08x (shmid %d)' % (seg_key, info['shmid']) in result.text
    holder = shm.attach(min(left))
    result = cli('-r', '--remove-unfinished', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 1 and 'attached' in result.text and set(shm_sets.segments()) == set(left)
    holder.detach()
    shm.attached.remove(holder)
    result = cli('-r', '--remove-unfinished', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 0, result.text
    assert shm.fingerprint() == wanted


def test_killed_backup_is_finished_by_the_same_backup(shm, tmp_path):
    """3 killed backup: the same command removes exactly what the dead run left and backs up."""
    shm.make_set(stages=2)
    bk = tmp_path / 'bk'
    _kill_backup_midway(bk, compress=True)
    assert MARKER in os.listdir(str(bk))
    result = cli('-b', '-z', '-p', bk, '-n', 'test')
    assert result.returncode == 0, result.text
    assert MARKER not in os.listdir(str(bk))
    assert cli('--verify', '-p', bk).returncode == 0


def test_a_look_during_the_backup_is_not_a_fault(shm, tmp_path, monkeypatch):
    """3 a look: shm_info, pyasmt -a elsewhere or monitoring attach for a moment and change nothing."""
    made = shm.make_set(stages=2, stage_size=1 << 20)

    def look():
        # It attaches read-only to read the names; its verdict (attached: by us) does not matter here.
        return pyasmt('-a', '-b', '-p', tmp_path / 'elsewhere', '-n', 'test')
    fired = on_first_progress(monkeypatch, look)
    result = cli('-b', '-t', '1', '-p', tmp_path / 'bk', '-n', 'test')
    assert fired and result.returncode == 0, result.text
    assert made and cli('--verify', '-p', tmp_path / 'bk').returncode == 0


def test_two_backups_to_one_folder(shm, tmp_path, monkeypatch):
    """3: the second is refused (another backup is running), the first succeeds."""
    shm.make_set(stages=2, stage_size=1 << 20)
    second = []
    on_first_progress(monkeypatch, lambda: second.append(pyasmt('-b', '-p', tmp_path / 'bk', '-n', 'test')))
    result = cli('-b', '-t', '1', '-p', tmp_path / 'bk', '-n', 'test')
    assert result.returncode == 0, result.text
    assert second[0].returncode == 1 and 'another backup is running (pid %d)' % os.getpid() in second[0].text
    assert cli('--verify', '-p', tmp_path / 'bk').returncode == 0


# ---- 4. The truth about changes -------------------------------------------------------------

def test_changed_when_one_namespace_restored_and_another_failed(shm, tmp_path):
    """4: --json says changed when a namespace was restored, even though another failed."""
    shm.make_set(nsid=1, name='a')
    shm.make_set(nsid=2, name='b')
    assert cli('-b', '-p', tmp_path / 'bk', '-n', 'a,b').returncode == 0
    shm.remove_all()
    shm_sets.flip_byte(str(tmp_path / 'bk' / ('%08x.dat' % shm_sets.key(0xAE, 0, 2, 0x100))), 100)
    result = pyasmt('-r', '--json', '-p', tmp_path / 'bk', '-n', 'a,b')
    doc = json.loads(result.stdout)
    assert result.returncode == 1 and doc['result']['changed'] is True
