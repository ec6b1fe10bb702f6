# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One test per row of docs/asmt-format.md §7, "Where ASMT 2.2.1 differs": the port must not have them.

Each test is named test_defect_NN_<what C ASMT gets wrong> and asserts what we do instead.
"""

from __future__ import absolute_import, division, print_function

import os
import struct
import subprocess
import sys
import threading
import zlib

import pytest
import sysv_ipc

import shm_sets
from shm_sets import DATA, PRIMARY, SECONDARY, key

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _engine
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _transfer
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _verify
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    IntegrityError,
    UsageError,
)

__metaclass__ = type

GIB = 1 << 30


def backup(path, namespaces=('test',), **kwargs):
    plan = _backup.plan_backup(str(path), list(namespaces), **kwargs)
    plan.raise_if_refused()
    return plan, _backup.execute_backup(plan)


def restore(path, namespaces=('test',), **kwargs):
    plan = _restore.plan_restore(str(path), list(namespaces), **kwargs)
    plan.raise_if_refused()
    return plan, _restore.execute_restore(plan)


def made_crcs(result, key):
    """The CRC-32s a run's result reports for the segment key."""
    return [s['crc32'] for ns in result['namespaces'] for s in ns['segments'] if s['key'] == '0x%08x' % key]


def codes(plan):
    return sorted(set(p.code for p in plan.all_problems()))


def messages(plan):
    return ' | '.join(p.message for p in plan.all_problems())


def stripe(name='test', size=4096):
    content = bytearray(os.urandom(size))
    content[12:44] = shm_sets.data_bytes(name)[12:44]
    return bytes(content)


def create_in_order(shm, contents, order):
    for seg_key in order:
        shm.create(seg_key, len(contents[seg_key]), contents[seg_key], mode=0o600)


# 1 (and 11.3 #23, #24) -------------------------------------------------------------------

ORDERS = ['stripe-001-first', 'after-base', 'after-treex', 'stripe-001-last']


@pytest.mark.parametrize('data_nsid', [1, 7], ids=['stripes-same-nsid', 'stripes-other-nsid'])
@pytest.mark.parametrize('order', ORDERS)
def test_defect_01_data_stripe_001_never_skipped(shm, tmp_path, order, data_nsid):
    base, treex, stage = key(PRIMARY, 0, 1, 0), key(PRIMARY, 0, 1, 1), key(PRIMARY, 0, 1, 0x100)
    stripes = [key(DATA, 0, data_nsid, sub) for sub in (0, 1, 2)]
    contents = {base: shm_sets.base_bytes('test', 1, size=4096), treex: os.urandom(4096), stage: os.urandom(4096)}
    for seg_key in stripes:
        contents[seg_key] = stripe()
    rest = [base, treex, stage, stripes[0], stripes[2]]
    position = {'stripe-001-first': 0, 'after-base': 1, 'after-treex': 2, 'stripe-001-last': len(rest)}[order]
    create_in_order(shm, contents, rest[:position] + [stripes[1]] + rest[position:])
    before = shm.fingerprint()
    plan, dummy = backup(tmp_path / 'bk', compress=True)
    assert [item.key.key for item in plan.namespaces[0].items] == [base, treex, stage] + stripes
    shm.remove_all()
    # The files too are found whatever order the folder lists them in.
    plan, dummy = restore(tmp_path / 'bk')
    assert [item.key.key for item in plan.namespaces[0].items] == [base, treex, stage] + stripes
    assert shm.fingerprint() == before


# 2, 3 (and 11.3 #25) ---------------------------------------------------------------------

def _fill_markers(seg_key, size, offsets):
    """Write 4 KiB of random bytes at each offset of a huge, otherwise zero, segment."""
    memory = sysv_ipc.SharedMemory(seg_key)
    try:
        for offset in offsets:
            memory.write(os.urandom(min(4096, size - offset)), offset)
    finally:
        memory.detach()


def _segment_crc(seg_key):
    memory = sysv_ipc.SharedMemory(seg_key)
    try:
        view = memoryview(memory)
        crc = 0
        for start in range(0, len(view), 64 << 20):
            crc = zlib.crc32(view[start:start + (64 << 20)], crc)
        view.release()
        return crc
    finally:
        memory.detach()


@pytest.mark.slow
def test_defect_02_compressed_exactly_4gib_segment_is_complete(shm, tmp_path):
    """C compresses S mod 2**32 bytes: an exactly-4 GiB stage became an empty stream."""
    size = 4 * GIB
    made = shm.make_set(stages=1, stage_size=4096, random=False, skip=('pi-0x100',))
    stage = made['pi-0x100']
    shm.create(stage, size)
    _fill_markers(stage, size, [0, 2 * GIB, size - 4096])
    crc = _segment_crc(stage)
    dummy, result = backup(tmp_path / 'bk', compress=True)
    assert made_crcs(result, stage) == ['0x%08x' % crc]
    path = str(tmp_path / 'bk' / ('%08x.dat.gz' % stage))
    with open(path, 'rb') as handle:
        header = handle.read(24)
        handle.seek(-8, os.SEEK_END)
        trailer = handle.read(8)
    assert struct.unpack('<IIQQ', header)[2:] == (size, crc)
    # gzip records the size modulo 2**32: 0 here, which must not be read as "empty".
    assert struct.unpack('<II', trailer) == (crc, 0)
    shm.remove_all()
    restore(tmp_path / 'bk')
    assert shm_sets.segments()[stage]['size'] == size
    assert _segment_crc(stage) == crc


@pytest.mark.slow
def test_defect_03_crc_covers_all_of_a_segment_over_4gib(shm, tmp_path):
    """C's -c CRC covers only S mod 2**32 bytes; a change past 4 GiB went unnoticed."""
    size = 4 * GIB + 4096
    made = shm.make_set(stages=1, random=False, skip=('pi-0x100',))
    stage = made['pi-0x100']
    shm.create(stage, size)
    _fill_markers(stage, size, [0, size - 4096])
    crc = _segment_crc(stage)
    dummy, result = backup(tmp_path / 'bk')
    assert made_crcs(result, stage) == ['0x%08x' % crc]
    shm.remove_all()
    plan = _verify.plan_verify(str(tmp_path / 'bk'))
    _verify.execute_verify(plan)
    # One byte past 4 GiB: only a full-length CRC sees it.
    shm_sets.flip_byte(str(tmp_path / 'bk' / ('%08x.dat' % stage)), 4 * GIB + 100)
    plan = _verify.plan_verify(str(tmp_path / 'bk'))
    with pytest.raises(IntegrityError) as info:
        _verify.execute_verify(plan)
    assert '%08x.dat' % stage in info.value.msg


# 4 ---------------------------------------------------------------------------------------

def _c_folder(tmp_path, stage_file, stage_name='ae001100.dat.gz'):
    files = {'ae001000.dat': shm_sets.base_bytes('test', 1), 'ae001001.dat.gz': shm_sets.asmt_gz(b'T'),
             stage_name: stage_file}
    return shm_sets.write_files(str(tmp_path / 'c'), files)


def test_defect_04_truncated_dat_gz_fails_instead_of_zero_tail(shm, tmp_path):
    blob = shm_sets.asmt_gz(os.urandom(200000))
    folder = _c_folder(tmp_path, blob[:len(blob) // 2])
    plan = _restore.plan_restore(folder, ['test'])
    assert plan.ok
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert 'truncated' in info.value.msg and 'ae001100.dat.gz' in info.value.msg
    assert shm_sets.segments() == {}


# 5 ---------------------------------------------------------------------------------------

def test_defect_05_overlong_stream_is_bounded_by_segment_size(shm, tmp_path):
    data = os.urandom(8192)
    blob = shm_sets.asmt_gz(data, segment_size=4096)
    folder = _c_folder(tmp_path, blob)
    plan = _restore.plan_restore(folder, ['test'])
    assert plan.ok and [i.size for i in plan.namespaces[0].items if i.key.sub == 0x100] == [4096]
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert 'more than the 4096 bytes' in info.value.msg
    assert shm_sets.segments() == {}


# 6 ---------------------------------------------------------------------------------------

def test_defect_06_empty_or_short_data_name_is_not_a_match(shm, tmp_path):
    made = shm.make_set(stripes=1)
    shm.create(key(DATA, 0, 1, 5), 4096)               # name field all NUL
    shm.create(key(DATA, 0, 1, 6), 20, b'\1' * 20)     # too short to hold a name
    plan, dummy = backup(tmp_path / 'bk')
    assert [i.key.key for i in plan.namespaces[0].items if i.key.role == 'data-stage'] == [made['data-0x000']]
    # On the restore side too: nameless stripe files are not this namespace's and crash nothing.
    shm.remove_all()
    shm_sets.write_files(str(tmp_path / 'bk'), {'ad001005.dat': bytes(4096), 'ad001006.dat': b'\1' * 20,
                                                'ad001007.dat.gz': shm_sets.asmt_gz(bytes(100))})
    plan, dummy = restore(tmp_path / 'bk')
    assert sorted(shm_sets.segments()) == sorted(made.values())


# 7 ---------------------------------------------------------------------------------------

def _orphan_backup(shm, tmp_path, compress=True):
    made = shm.make_set(stages=1, stripes=3, stripe_size=50000)
    for label in ('base', 'treex', 'pi-0x100'):
        shm.remove(made[label])
    backup(tmp_path / 'bk', compress=compress)
    return made


def test_defect_07_orphan_mode_checks_first_fails_loudly_and_cleans_up(shm, tmp_path):
    made = _orphan_backup(shm, tmp_path)
    # Backup again into the same folder: the pre-check applies to orphan sets too.
    shm.write(made['data-0x001'], b'changed', 100)
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'], compress=True)
    assert codes(plan) == ['exists']
    # Restore over an existing stripe: refused, not "exit 0".
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['exists'] and '0x%08x' % made['data-0x002'] in messages(plan)
    shm.remove_all()
    # A damaged stripe: the restore fails and removes the stripes it made.
    shm_sets.flip_byte(str(tmp_path / 'bk' / ('%08x.dat.gz' % made['data-0x002'])), -8)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'], threads=1)
    assert plan.ok and plan.namespaces[0].orphan
    with pytest.raises(IntegrityError):
        _restore.execute_restore(plan)
    assert shm_sets.segments() == {}


# 8 ---------------------------------------------------------------------------------------

def test_defect_08_failed_backup_removes_data_stripe_files_too(shm, tmp_path):
    made = shm.make_set(stages=2, stripes=4)
    (tmp_path / 'bk').mkdir(mode=0o700)
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'])
    plan.raise_if_refused()
    # The third stripe's name is taken after the plan: creation fails after two stripe files exist.
    blocker = '%08x.dat' % made['data-0x002']
    shm_sets.write_files(str(tmp_path / 'bk'), {blocker: b'x'})
    with pytest.raises(ExecutionError):
        _backup.execute_backup(plan)
    assert os.listdir(str(tmp_path / 'bk')) == [blocker]


# 9 ---------------------------------------------------------------------------------------

def test_defect_09_namespace_not_found_is_a_distinct_failure(shm, tmp_path):
    shm.make_set(name='bar', stripes=1)
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['foo'])
    assert codes(plan) == ['not-found'] and not plan.ok
    assert "namespace 'foo'" in messages(plan) and "'bar'" in messages(plan)
    backup(tmp_path / 'bk', ['bar'])
    shm.remove_all()
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['foo'])
    assert codes(plan) == ['not-found'] and "'bar'" in messages(plan)


# 10 --------------------------------------------------------------------------------------

def test_defect_10_attached_base_is_not_an_orphan_backup(shm, tmp_path):
    made = shm.make_set(stripes=2)
    shm.attach(made['base'])
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['attached'] and not plan.namespaces[0].orphan
    assert '0x%08x' % made['base'] in messages(plan)
    assert not os.path.exists(str(tmp_path / 'bk'))


# 11 --------------------------------------------------------------------------------------

def test_defect_11_read_of_a_short_file_stops(tmp_path):
    path = str(tmp_path / 'short.dat')
    with open(path, 'wb') as handle:
        handle.write(b'x' * 1000)
    fd = os.open(path, os.O_RDONLY)
    outcome = []

    def run():
        try:
            _transfer.read_exactly(fd, memoryview(bytearray(4096)), 0, path)
        except IntegrityError as exc:
            outcome.append(exc)
    try:
        thread = threading.Thread(target=run)
        thread.daemon = True
        thread.start()
        thread.join(10)
        assert not thread.is_alive(), 'read_exactly loops on end of file'
    finally:
        os.close(fd)
    assert outcome and 'ends at 1000 bytes' in outcome[0].msg and 'truncated' in outcome[0].msg


def test_defect_11_write_error_is_reported(tmp_path):
    fd = os.open('/dev/full', os.O_WRONLY)
    try:
        with pytest.raises(ExecutionError) as info:
            _transfer.write_all(fd, memoryview(b'x' * 4096), 0, '/dev/full')
    finally:
        os.close(fd)
    assert 'No space left' in info.value.msg


# 12 --------------------------------------------------------------------------------------

def test_defect_12_never_zero_workers(shm, tmp_path):
    assert _engine.default_threads() >= 1
    assert _engine.Engine(0).threads >= 1 and _engine.Engine(None).threads >= 1
    with pytest.raises(UsageError) as info:
        _backup.plan_backup(str(tmp_path / 'bk'), ['test'], threads=0)
    assert 'Max threads must be in the range 1..1024' in info.value.msg
    shm.make_set(stages=3)
    before = shm.fingerprint()
    plan, result = backup(tmp_path / 'bk', threads=1)
    assert result['threads'] == 1 and plan.threads == 1
    shm.remove_all()
    restore(tmp_path / 'bk', threads=1)
    assert shm.fingerprint() == before


# 13 --------------------------------------------------------------------------------------

def test_defect_13_no_space_is_found_not_ignored(shm, small_tmpfs):
    shm.make_set(stages=2, stage_size=1 << 20)
    mount = small_tmpfs(1536 << 10)
    plan = _backup.plan_backup(os.path.join(mount, 'bk'), ['test'], allow_volatile_path=True)
    assert codes(plan) == ['no-space']
    # Room at plan time, gone at run time: the write error is the failure, nothing is left.
    mount = small_tmpfs(4 << 20)
    plan = _backup.plan_backup(os.path.join(mount, 'bk'), ['test'], allow_volatile_path=True)
    plan.raise_if_refused()
    with open(os.path.join(mount, 'filler'), 'wb') as handle:
        handle.write(b'\1' * (3 << 20))
    with pytest.raises(ExecutionError) as info:
        _backup.execute_backup(plan)
    assert 'No space left' in info.value.msg
    assert os.listdir(mount) == ['filler']


# 14 --------------------------------------------------------------------------------------

@pytest.mark.parametrize('label', ['data-0x001', 'pi-0x100'])
def test_defect_14_dat_and_dat_gz_of_one_key_is_an_error(shm, tmp_path, label):
    made = shm.make_set(stripes=2)
    backup(tmp_path / 'bk', compress=True)
    shm.remove_all()
    data = shm_sets.inflate_asmt_gz(open(str(tmp_path / 'bk' / ('%08x.dat.gz' % made[label])), 'rb').read())[1]
    shm_sets.write_files(str(tmp_path / 'bk'), {'%08x.dat' % made[label]: data})
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['duplicate']
    assert '0x%08x is in %s twice, as .dat and as .dat.gz' % (made[label], tmp_path / 'bk') in messages(plan)


# 15 --------------------------------------------------------------------------------------

@pytest.mark.parametrize('label', ['base', 'meta'])
def test_defect_15_base_or_meta_as_dat_gz_rejected_clearly(shm, tmp_path, label):
    made = shm.make_set(stripes=1, sindex_stages=1)
    backup(tmp_path / 'bk', compress=True)
    shm.remove_all()
    for name in os.listdir(str(tmp_path / 'bk')):
        if name.endswith('.json'):
            os.unlink(str(tmp_path / 'bk' / name))
    plain = str(tmp_path / 'bk' / ('%08x.dat' % made[label]))
    with open(plain, 'rb') as handle:
        content = handle.read()
    os.unlink(plain)
    shm_sets.write_files(str(tmp_path / 'bk'), {'%08x.dat.gz' % made[label]: shm_sets.asmt_gz(content)})
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    assert codes(plan) == ['unreadable']
    assert '%08x.dat.gz' % made[label] in messages(plan) and 'never stored compressed' in messages(plan)
    _restore.execute_restore(plan)
    assert shm_sets.segments() == {}


# 16 --------------------------------------------------------------------------------------

def test_defect_16_odd_sub_keys_are_ignored_not_taken_for_base_or_meta(shm, tmp_path):
    made = shm.make_set(sindex_stages=1)
    odd = [key(PRIMARY, 0, 1, 0x002), key(PRIMARY, 0, 1, 0x0FF), key(SECONDARY, 0, 1, 0x001),
           key(SECONDARY, 0, 1, 0x005), key(PRIMARY, 0, 1, 0x900), key(SECONDARY, 0, 1, 0xFFF)]
    for seg_key in odd:
        # Contents that would pass for a base of 'test' or a meta, if they were read as one.
        shm.create(seg_key, 4096, shm_sets.base_bytes('test', 1, size=4096))
    plan, dummy = backup(tmp_path / 'bk')
    assert sorted(i.key.key for i in plan.namespaces[0].items) == sorted(made.values())
    files = os.listdir(str(tmp_path / 'bk'))
    assert not any('%08x.dat' % k in files for k in odd)
    shm.remove_all()
    shm_sets.write_files(str(tmp_path / 'bk'), dict(('%08x.dat' % k, shm_sets.base_bytes('test', 1)) for k in odd))
    restore(tmp_path / 'bk')
    assert sorted(shm_sets.segments()) == sorted(made.values())


# 17 --------------------------------------------------------------------------------------

def test_defect_17_only_permission_bits_of_a_locked_segment(shm, tmp_path):
    made = shm.make_set(mode=0o640)
    shmid = shm_sets.segments()[made['treex']]['shmid']
    shm_sets.shm_lock(shmid)
    try:
        assert int(shm_sets.proc_entries()[made['treex']]['perms'], 8) & 0o2000
        backup(tmp_path / 'bk')
    finally:
        shm_sets.shm_lock(shmid, lock=False)
    st = os.stat(str(tmp_path / 'bk' / ('%08x.dat' % made['treex'])))
    assert st.st_mode & 0o7777 == 0o640
    shm.remove_all()
    # The other way: special bits on a file never reach a segment.
    os.chmod(str(tmp_path / 'bk' / ('%08x.dat' % made['treex'])), 0o2640)
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    plan.raise_if_refused()
    _restore.execute_restore(plan)
    assert int(shm_sets.proc_entries()[made['treex']]['perms'], 8) == 0o640


# 18 --------------------------------------------------------------------------------------

def test_defect_18_new_segments_are_0600_until_filled(shm, tmp_path):
    made = shm.make_set(stages=2, stage_size=3 << 20, mode=0o666)
    backup(tmp_path / 'bk')
    shm.remove_all()
    seen = []

    def progress(done, total):
        seen.extend(int(v['perms'], 8) & 0o777 for v in shm_sets.proc_entries().values())
    plan = _restore.plan_restore(str(tmp_path / 'bk'), ['test'])
    plan.raise_if_refused()
    _restore.execute_restore(plan, progress=progress)
    assert seen and set(seen) == {0o600}
    assert set(v['mode'] for v in shm_sets.segments().values()) == {0o666}
    assert len(shm_sets.segments()) == len(made)


# 19 --------------------------------------------------------------------------------------

def test_defect_19_attaches_only_this_instance_and_read_only(shm, tmp_path):
    made = shm.make_set(instance=0, stages=2, stage_size=2 << 20, stripes=1)
    other = shm.make_set(instance=1, stripes=1)
    attached_maps = []

    def progress(done, total):
        with open('/proc/self/maps') as handle:
            attached_maps.extend(line.split()[1] for line in handle if '/SYSV' in line)
    # Another process touches every segment last, so the last attaching pid tells whether we
    # attached one since (times have a resolution of one second).
    everything = sorted(list(made.values()) + list(other.values()))
    subprocess.check_call([sys.executable, '-c', 'import sys, sysv_ipc\nfor k in sys.argv[1:]: '
                           'sysv_ipc.SharedMemory(int(k)).detach()'] + [str(k) for k in everything])
    toucher = set(shm_sets.proc_entries()[k]['lpid'] for k in everything)
    assert len(toucher) == 1 and toucher != {str(os.getpid())}
    plan = _backup.plan_backup(str(tmp_path / 'bk'), ['test'])
    # The plan reads names and counts only: stages and treex are not attached at all.
    entries = shm_sets.proc_entries()
    for label in ('treex', 'pi-0x100', 'pi-0x101'):
        assert set([entries[made[label]]['lpid']]) == toucher
    assert entries[made['base']]['lpid'] == str(os.getpid())
    plan.raise_if_refused()
    _backup.execute_backup(plan, progress=progress)
    entries = shm_sets.proc_entries()
    # Other instances' segments are never attached, not even to read their names.
    assert all(set([entries[seg_key]['lpid']]) == toucher for seg_key in other.values())
    # Our own attachments are read-only mappings (r--s), never writable.
    assert attached_maps and all(perms[1] == '-' for perms in attached_maps), attached_maps


# 20 --------------------------------------------------------------------------------------

def test_defect_20_instance_65535_is_rejected(shm, tmp_path):
    for call in (lambda: _backup.plan_backup(str(tmp_path), ['test'], instance=65535),
                 lambda: _restore.plan_restore(str(tmp_path), ['test'], instance=65535),
                 lambda: _verify.plan_verify(str(tmp_path), ['test'], instance=65535)):
        with pytest.raises(UsageError) as info:
            call()
        assert 'Instance must be from 0..15' in info.value.msg


# 21 --------------------------------------------------------------------------------------

def test_defect_21_restore_stays_compatible_but_warns(shm, tmp_path):
    """C does not check the shutdown status or the meta's count on restore; nor do we refuse
    (valid C backups must restore), but an unclean base is reported."""
    folder = shm_sets.write_files(str(tmp_path / 'c'), {
        'ae001000.dat': shm_sets.base_bytes('test', 1, shutdown=0),
        'ae001001.dat': b'T', 'ae001100.dat': b'P',
        'a2001000.dat': shm_sets.meta_bytes(3), 'a2001100.dat': b'S',
    })
    plan = _restore.plan_restore(folder, ['test'])
    assert plan.ok, plan.message()
    assert any('shutdown status 0' in w and 'cold start' in w for w in plan.namespaces[0].warnings)
    _restore.execute_restore(plan)
    assert len(shm_sets.segments()) == 5


# 22 --------------------------------------------------------------------------------------

def test_defect_22_more_than_128_stripes(shm, tmp_path):
    made = shm.make_set(stripes=130, stripe_size=64)
    before = shm.fingerprint()
    plan, dummy = backup(tmp_path / 'bk', compress=True)
    assert len([i for i in plan.namespaces[0].items if i.key.role == 'data-stage']) == 130
    assert made['data-0x081'] == key(DATA, 0, 1, 0x81)
    shm.remove_all()
    restore(tmp_path / 'bk')
    assert shm.fingerprint() == before
