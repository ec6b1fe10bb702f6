# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test vectors: sets and folders that C ASMT 2.2.1 accepts or refuses, and the exact compressed
files of docs/asmt-format.md §4.5, each with our outcome.

Where C ASMT 2.2.1 is wrong (docs/asmt-format.md §7) the port is stricter; those rows assert
our behaviour and say so.
"""

from __future__ import absolute_import, division, print_function

import os
import struct
import zlib

import pytest

import shm_sets
from shm_sets import DATA, PRIMARY, SECONDARY, key

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import IntegrityError

__metaclass__ = type

INST, NSID, NAME = 3, 2, 'mini'
BASE = key(PRIMARY, INST, NSID, 0)         # ae302000
TREEX = key(PRIMARY, INST, NSID, 1)        # ae302001
STAGE = key(PRIMARY, INST, NSID, 0x100)    # ae302100
META = key(SECONDARY, INST, NSID, 0)       # a2302000
SSTAGE = key(SECONDARY, INST, NSID, 0x100)  # a2302100
DATA5 = key(DATA, INST, 5, 0)               # ad305000


def hexbytes(text):
    return bytes(bytearray(int(x, 16) for x in text.split()))


# docs/asmt-format.md §4.5: files C ASMT wrote and restored.
ZEROS_4096_FILE = hexbytes("""
41 53 4d 54 01 00 00 00 00 10 00 00 00 00 00 00 11 00 1c c7 00 00 00 00
1f 8b 08 00 00 00 00 00 04 03 ed d0 01 0d 00 00 00 c2 a0 f7 4f 6d 0f 07
11 28 0c 18 30 60 c0 80 01 03 06 0c 18 30 60 c0 80 81 f7 81 01 11 00 1c
c7 00 10 00 00""")
TREEX_VECTOR_FILE = hexbytes("""
41 53 4d 54 01 00 00 00 44 00 00 00 00 00 00 00 b9 25 cb 6e 00 00 00 00
1f 8b 08 00 00 00 00 00 04 03 2b 29 4a 4d ad d0 2d 49 2d 2e d1 2d 4b 4d
2e c9 2f 2a 21 5d 00 00 b9 25 cb 6e 44 00 00 00""")


def mini_base(version=12, shutdown=1, n_arenas=1, size=2156):
    return shm_sets.base_bytes(NAME, n_arenas, version=version, shutdown=shutdown, size=size)


def make_mini(shm, meta=True, data=True, skip=(), base=None, meta_content=None, extra=()):
    """The minimal set C ASMT accepts for a backup: instance 3, nsid 2, name 'mini'."""
    segments = [(BASE, base if base is not None else mini_base()), (TREEX, b'\0'), (STAGE, b'\0')]
    if meta:
        segments += [(META, meta_content if meta_content is not None else shm_sets.meta_bytes(1)), (SSTAGE, b'\0')]
    if data:
        segments.append((DATA5, shm_sets.data_bytes(NAME)))
    segments += list(extra)
    for seg_key, content in segments:
        if seg_key not in skip:
            shm.create(seg_key, len(content), content, mode=0o600)


def mini_files(compress=True, base=None, **overrides):
    """The minimal backup folder C ASMT accepts for a restore (docs/asmt-format.md §5.2)."""
    files = {
        'ae302000.dat': base if base is not None else mini_base(),
        'ae302001.dat.gz' if compress else 'ae302001.dat': shm_sets.asmt_gz(b'T') if compress else b'T',
        'ae302100.dat.gz' if compress else 'ae302100.dat': shm_sets.asmt_gz(b'P') if compress else b'P',
        'a2302000.dat': shm_sets.meta_bytes(1),
        'a2302100.dat.gz' if compress else 'a2302100.dat': shm_sets.asmt_gz(b'S') if compress else b'S',
        'ad305000.dat.gz' if compress else 'ad305000.dat':
            shm_sets.asmt_gz(shm_sets.data_bytes(NAME)) if compress else shm_sets.data_bytes(NAME),
    }
    for name, content in overrides.items():
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    return files


def plan_b(path, namespaces=(NAME,), instance=INST, **kwargs):
    return _backup.plan_backup(str(path), list(namespaces), instance=instance, **kwargs)


def plan_r(path, namespaces=(NAME,), instance=INST, **kwargs):
    return _restore.plan_restore(str(path), list(namespaces), instance=instance, **kwargs)


def problems(plan):
    return [(p.code, p.message) for p in plan.all_problems()]


def text(plan):
    return ' | '.join(p.message for p in plan.all_problems())


# ---- the minimal set ----------------------------------------------------------------------

@pytest.mark.parametrize('compress', [False, True], ids=['plain', 'compressed'])
def test_14_1_minimal_set_backs_up(shm, tmp_path, compress):
    make_mini(shm)
    plan = plan_b(tmp_path / 'bk', compress=compress, codec='zlib')
    assert plan.ok, plan.message()
    _backup.execute_backup(plan)
    gz = '.dat.gz' if compress else '.dat'
    expected = {'ae302000.dat': 2156, 'ae302001' + gz: 1, 'ae302100' + gz: 1, 'a2302000.dat': 24,
                'a2302100' + gz: 1, 'ad305000' + gz: 44}
    names = set(os.listdir(str(tmp_path / 'bk')))
    assert set(expected) <= names and len(names - set(expected)) == 1  # plus the manifest
    for name, size in expected.items():
        with open(str(tmp_path / 'bk' / name), 'rb') as handle:
            blob = handle.read()
        if compress and name.endswith('.gz'):
            dummy, data, dummy = shm_sets.inflate_asmt_gz(blob)
            assert len(data) == size
            # The C-written ae302100.dat.gz was byte-identical to our writer's (docs/asmt-format.md §4.2).
            assert blob == shm_sets.asmt_gz(data)
        else:
            assert len(blob) == size


def stripe(name='test', size=100000):
    """Random stripe content with the 32-byte NUL-padded name field at offset 12."""
    content = bytearray(os.urandom(size))
    content[12:44] = shm_sets.data_bytes(name)[12:44]
    return bytes(content)


def test_14_1_scaled_up_set_round_trips_with_stripe_001(shm, tmp_path):
    """Instance 14, nsid 31, 'test': the verified larger run, including stripe 0x001 (docs/asmt-format.md §7, difference 1)."""
    base = bytearray(shm_sets.base_bytes('test', 2, size=4096))
    contents = {
        key(PRIMARY, 14, 31, 0): bytes(base),
        key(PRIMARY, 14, 31, 1): os.urandom(8192),
        key(PRIMARY, 14, 31, 0x100): os.urandom(1 << 20),
        key(PRIMARY, 14, 31, 0x101): os.urandom(1 << 20),
        key(SECONDARY, 14, 31, 0): shm_sets.meta_bytes(1, size=4096),
        key(SECONDARY, 14, 31, 0x100): os.urandom(65536),
        key(DATA, 14, 31, 0): stripe(),
        key(DATA, 14, 31, 1): stripe(),
    }
    assert sorted('%08x' % k for k in contents) == sorted(
        ['aee1f000', 'aee1f001', 'aee1f100', 'aee1f101', 'a2e1f000', 'a2e1f100', 'ade1f000', 'ade1f001'])
    for seg_key, content in contents.items():
        shm.create(seg_key, len(content), content, mode=0o600)
    before = shm.fingerprint()
    plan = plan_b(tmp_path / 'bk', ['test'], instance=14, compress=True)
    assert plan.ok, plan.message()
    assert len(plan.namespaces[0].items) == len(contents)
    _backup.execute_backup(plan)
    shm.remove_all()
    plan = plan_r(tmp_path / 'bk', ['test'], instance=14)
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    assert shm.fingerprint() == before


# ---- exact files (docs/asmt-format.md §4.5) -----------------------------------------------

def test_5_6_vectors_are_what_our_zlib_writer_produces(shm, tmp_path):
    shm.create(BASE, 2156, mini_base())
    shm.create(TREEX, 68, b'treex-test-vector' * 4)
    shm.create(STAGE, 4096, bytes(4096))
    plan = plan_b(tmp_path / 'bk', compress=True, codec='zlib')
    assert plan.ok, plan.message()
    _backup.execute_backup(plan)
    with open(str(tmp_path / 'bk' / 'ae302100.dat.gz'), 'rb') as handle:
        assert handle.read() == ZEROS_4096_FILE
    with open(str(tmp_path / 'bk' / 'ae302001.dat.gz'), 'rb') as handle:
        assert handle.read() == TREEX_VECTOR_FILE


@pytest.mark.parametrize('codec', ['isal', 'zlib'])
def test_5_6_vectors_restore(shm, tmp_path, codec):
    files = mini_files(**{'ae302001.dat.gz': TREEX_VECTOR_FILE, 'ae302100.dat.gz': ZEROS_4096_FILE})
    shm_sets.write_files(str(tmp_path / 'c'), files)
    plan = plan_r(tmp_path / 'c', codec=codec)
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    assert shm.read(TREEX) == b'treex-test-vector' * 4
    assert shm.read(STAGE) == bytes(4096)
    assert zlib.crc32(shm.read(STAGE)) == 0xc71c0011


# ---- the minimal folder ---------------------------------------------------------------------

@pytest.mark.parametrize('compress', [True, False], ids=['dat.gz', 'dat'])
def test_14_2_minimal_folder_restores(shm, tmp_path, compress):
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(compress), mode=0o640)
    for name in os.listdir(folder):
        os.chown(os.path.join(folder, name), 65534, 65534)
    plan = plan_r(folder)
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    segments = shm_sets.segments()
    assert dict((k, v['size']) for k, v in segments.items()) == {
        BASE: 2156, TREEX: 1, STAGE: 1, META: 24, SSTAGE: 1, DATA5: 44}
    assert all((v['uid'], v['gid'], v['mode']) == (65534, 65534, 0o640) for v in segments.values())
    assert (shm.read(TREEX), shm.read(STAGE), shm.read(SSTAGE)) == (b'T', b'P', b'S')


# ---- edge cases of a backup ----------------------------------------------------------------

BACKUP_ROWS = [
    ('version-9', dict(base=mini_base(version=9)), 'invalid-base',
     'Invalid version number in base segment 0xae302000: expecting version in range 10 to 12, found version 9.'),
    ('version-13', dict(base=mini_base(version=13)), 'invalid-base',
     'Invalid version number in base segment 0xae302000: expecting version in range 10 to 12, found version 13.'),
    ('shutdown-0', dict(base=mini_base(shutdown=0)), 'unclean',
     'Shutdown status in base segment 0xae302000: expecting status 1, found status 0.'),
    ('shutdown-2', dict(base=mini_base(shutdown=2)), 'unclean',
     'Shutdown status in base segment 0xae302000: expecting status 1, found status 2.'),
    ('n-arenas-2', dict(base=mini_base(n_arenas=2)), 'incomplete',
     'Wrong number of primary arena stages: expecting 2, found 1.'),
    ('base-2155', dict(base=mini_base(size=2155)), 'invalid-base', 'Base segment 0xae302000 is too small.'),
    ('no-treex', dict(skip=(TREEX,)), 'incomplete', "Missing treex segment for instance 3, namespace 'mini' (nsid 2)."),
    ('stage-100-missing', dict(skip=(STAGE,), extra=[(key(PRIMARY, INST, NSID, 0x101), b'\0')]), 'incomplete',
     "Missing primary stage segment 100 for instance 3, namespace 'mini' (nsid 2)."),
    ('meta-no-sstage', dict(skip=(SSTAGE,)), 'incomplete',
     "No secondary stage segments for instance 3, namespace 'mini' (nsid 2)."),
    ('meta-n-arenas-3', dict(meta_content=shm_sets.meta_bytes(3)), 'incomplete',
     'Wrong number of secondary arena stages: expecting 3, found 1.'),
    ('meta-23', dict(meta_content=shm_sets.meta_bytes(1)[:23]), 'invalid-meta', 'Meta segment 0xa2302000 is too small.'),
]


@pytest.mark.parametrize('row, mutation, code, message', BACKUP_ROWS, ids=[r[0] for r in BACKUP_ROWS])
def test_14_3_backup_rows(shm, tmp_path, row, mutation, code, message):
    make_mini(shm, **mutation)
    plan = plan_b(tmp_path / 'bk')
    assert (code, message) in [(c, m[:len(message)]) for c, m in problems(plan)], problems(plan)
    assert not os.path.exists(str(tmp_path / 'bk'))


@pytest.mark.parametrize('which', ['one-member', 'all-members', 'base-only'])
def test_14_3_attached_members(shm, tmp_path, which):
    """C: attached members are invisible (missing-member errors, or a data-only backup with
    exit 0 when the base is attached). Stricter: refuse, naming the keys and pids."""
    make_mini(shm)
    attached = {'one-member': [STAGE], 'all-members': [BASE, TREEX, STAGE, META, SSTAGE, DATA5],
                'base-only': [BASE]}[which]
    for seg_key in attached:
        shm.attach(seg_key)
    plan = plan_b(tmp_path / 'bk')
    assert [c for c, dummy in problems(plan)] == ['attached']
    problem = plan.all_problems()[0]
    assert sorted(problem.keys) == sorted(attached) and problem.pids == [os.getpid()]
    for seg_key in attached:
        assert '0x%08x' % seg_key in problem.message
    assert not plan.namespaces[0].orphan


def test_14_3_existing_file_same_instance_and_nsid(shm, tmp_path):
    make_mini(shm)
    shm_sets.write_files(str(tmp_path / 'bk'), {'ad302777.dat': b''})
    plan = plan_b(tmp_path / 'bk')
    assert ('exists', "Found existing Aerospike file '%s/ad302777.dat' with instance 3, namespace 'mini' (nsid 2): "
            "cannot back up associated segment." % (tmp_path / 'bk')) in [
        (c, m.split(' Choose')[0]) for c, m in problems(plan)]


def test_14_3_existing_data_file_of_other_nsid_is_caught_before_writing(shm, tmp_path):
    """C catches ad305000.dat only at creation time, after other files were written. We refuse first."""
    make_mini(shm)
    shm_sets.write_files(str(tmp_path / 'bk'), {'ad305000.dat': b'old'})
    plan = plan_b(tmp_path / 'bk')
    assert [c for c, dummy in problems(plan)] == ['exists']
    assert sorted(os.listdir(str(tmp_path / 'bk'))) == ['ad305000.dat']


def test_14_3_other_namespace_is_a_failure(shm, tmp_path):
    """C: 'Did not find any unattached ...' with exit 0. Stricter: refused, naming 'mini'."""
    make_mini(shm)
    plan = plan_b(tmp_path / 'bk', ['other'])
    assert [c for c, dummy in problems(plan)] == ['not-found']
    assert "instance 3, namespace 'other'" in text(plan) and "'mini'" in text(plan)


def test_14_3_other_instance_finds_nothing(shm, tmp_path):
    make_mini(shm)
    plan = plan_b(tmp_path / 'bk', instance=4)
    assert [c for c, dummy in problems(plan)] == ['not-found']
    assert "Did not find any Aerospike database segments, instance 4, namespace 'mini'." in text(plan)


# ---- edge cases of a restore ---------------------------------------------------------------

def test_14_3_restore_existing_primary_stage(shm, tmp_path):
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files())
    shm.create(STAGE, 1)
    plan = plan_r(folder)
    assert ('exists', "Found existing Aerospike primary index segment 0xae302100 with instance 3, namespace 'mini' "
            "(nsid 2): cannot restore associated file.") in [(c, m.split(' If asd')[0].split(' These segments')[0]) for c, m in problems(plan)]


def test_14_3_restore_existing_data_segment_of_other_nsid(shm, tmp_path):
    """C: passes sanity, then fails creating it and removes what it made. We refuse before creating anything."""
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files())
    shm.create(DATA5, 44)
    plan = plan_r(folder)
    assert [c for c, dummy in problems(plan)] == ['exists']
    assert 'Found existing Aerospike data segment 0xad305000' in text(plan)
    assert sorted(shm_sets.segments()) == [DATA5]


def test_14_3_restore_bad_magic_is_refused_not_ignored(shm, tmp_path):
    """C silently ignores the file, then reports the missing stage. We name the file and why."""
    blob = b'XXXX' + shm_sets.asmt_gz(b'P')[4:]
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(**{'ae302100.dat.gz': blob}))
    plan = plan_r(folder)
    assert 'unreadable' in [c for c, dummy in problems(plan)]
    assert 'ae302100.dat.gz' in text(plan) and 'not an ASMT compressed file' in text(plan)


@pytest.mark.parametrize('cut', [1, 9, 20])
def test_14_3_restore_truncated_stream_fails(shm, tmp_path, cut):
    """C restores a zero tail with exit 0 (fails only with -c). We fail, and leave no segment."""
    stage = os.urandom(100000)
    blob = shm_sets.asmt_gz(stage)
    files = mini_files(**{'ae302100.dat.gz': blob[:-cut]})
    files['ae302000.dat'] = mini_base()
    folder = shm_sets.write_files(str(tmp_path / 'c'), files)
    plan = plan_r(folder)
    assert plan.ok, plan.message()
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert 'ae302100.dat.gz' in info.value.msg
    assert 'truncated' in info.value.msg or 'trailer' in info.value.msg
    assert shm_sets.segments() == {}


def test_14_3_restore_n_arenas_mismatch(shm, tmp_path):
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(base=mini_base(n_arenas=2)))
    plan = plan_r(folder)
    assert ('incomplete', 'Incorrect number of arena stages found: expecting 2, found 1.') in problems(plan)


def test_14_3_restore_base_only_as_dat_gz_is_refused(shm, tmp_path):
    """C misreads the base, falls into orphan mode and restores only ad305000, exit 0. We refuse."""
    files = mini_files(**{'ae302000.dat': None, 'ae302000.dat.gz': shm_sets.asmt_gz(mini_base())})
    folder = shm_sets.write_files(str(tmp_path / 'c'), files)
    plan = plan_r(folder)
    assert not plan.ok and 'unreadable' in [c for c, dummy in problems(plan)]
    assert 'ae302000.dat.gz' in text(plan) and 'never stored compressed' in text(plan)
    _restore.execute_restore(plan)
    assert shm_sets.segments() == {}


def test_14_3_restore_base_truncated_to_2155(shm, tmp_path):
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(base=mini_base()[:2155]))
    plan = plan_r(folder)
    assert ('invalid-base', "Could not extract number of arena stages from base segment file '%s/ae302000.dat'."
            % folder) in problems(plan)


def test_14_3_restore_tmsa_magic_accepted(shm, tmp_path):
    blob = shm_sets.asmt_gz(b'P', magic=shm_sets.ASMT_MAGIC_SWAPPED)
    assert blob[:4] == b'TMSA'
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(**{'ae302100.dat.gz': blob}))
    plan = plan_r(folder)
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    assert shm.read(STAGE) == b'P'


def test_14_3_restore_zlib_wrapper_accepted(shm, tmp_path):
    """C accepts a zlib body without -c (its -c then compares Adler-32 with CRC-32 and fails). We
    inflate either wrapper and check the CRC-32 of the data against the header."""
    stage = os.urandom(5000)
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(**{'ae302100.dat.gz': shm_sets.asmt_gz(stage, wbits=15)}))
    plan = plan_r(folder)
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    assert shm.read(STAGE) == stage


def test_14_3_restore_zeroed_header_crc_accepted(shm, tmp_path):
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(**{'ae302100.dat.gz': shm_sets.asmt_gz(b'P', crc=0)}))
    plan = plan_r(folder)
    assert plan.ok, plan.message()
    _restore.execute_restore(plan)
    assert shm.read(STAGE) == b'P'


def test_14_3_restore_wrong_header_crc_refused(shm, tmp_path):
    """C never reads the header CRC; all C-written files carry the right one, so we check a non-zero one."""
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(**{'ae302100.dat.gz': shm_sets.asmt_gz(b'P', crc=1)}))
    plan = plan_r(folder)
    assert plan.ok
    with pytest.raises(IntegrityError) as info:
        _restore.execute_restore(plan)
    assert 'file header records 0x00000001' in info.value.msg
    assert shm_sets.segments() == {}


def test_14_3_restore_accepts_unclean_base_with_a_warning(shm, tmp_path):
    folder = shm_sets.write_files(str(tmp_path / 'c'), mini_files(base=mini_base(shutdown=0)))
    plan = plan_r(folder)
    assert plan.ok, plan.message()
    assert any('shutdown status 0' in w for w in plan.namespaces[0].warnings)
    _restore.execute_restore(plan)
    assert struct.unpack_from('<I', shm.read(BASE), 4)[0] == 0
