# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding members: live segments of an instance, and segment files in a backup folder."""

from __future__ import absolute_import, division, print_function

import os
import re
import zlib

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _discovery
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._codec import get_codec
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import BASE, DATA, META, PI_STAGE, TREEX
from ansible_collections.fastrestart.aerospike.plugins.module_utils._layout import BaseHeader

__metaclass__ = type

CODEC = get_codec('zlib')


def by_key(members):
    return dict((m.key.key, m) for m in members)


# ------------------------------------------------------------------------------------ live segments

def test_live_members_of_one_instance(shm):
    made = shm.make_set(instance=3, nsid=2, name='mini', stages=2, sindex_stages=1, stripes=2, data_nsid=5,
                        mode=0o640, uid=65534, gid=65534)
    shm.make_set(instance=4, nsid=2, name='mini')                   # another instance: not ours
    shm.create(0x12345678, 64)                                      # not Aerospike's
    shm.create(shm_sets.key(0xAE, 3, 0, 0), 4096)                   # nsid 0 is never valid
    shm.create(shm_sets.key(0xAE, 3, 2, 0x002), 4096)               # C ASMT's "base" at sub-key 2
    members = by_key(_discovery.live_members(3))
    assert set(members) == set(made.values())
    base = members[made['base']]
    assert base.key.role == BASE
    assert (base.name, base.base) == ('mini', BaseHeader(12, 1, 'mini', 2))
    assert (base.size, base.uid, base.gid, base.mode, base.nattch) == (4096, 65534, 65534, 0o640, 0)
    assert base.shmid == shm_sets.segments()[made['base']]['shmid']
    assert members[made['meta']].meta_n_arenas == 1
    assert [members[made['data-0x%03x' % i]].name for i in range(2)] == ['mini', 'mini']
    assert members[made['treex']].name is None and members[made['pi-0x100']].base is None
    assert all(m.problem is None for m in members.values())
    # reading names left nothing attached
    assert all(info['nattch'] == 0 for info in shm_sets.segments().values())


def test_live_members_include_attached_segments(shm):
    made = shm.make_set(instance=0, nsid=1, name='test')
    shm.attach(made['base'])
    members = by_key(_discovery.live_members(0))
    assert members[made['base']].nattch == 1
    assert members[made['base']].name == 'test'
    assert members[made['treex']].nattch == 0


def test_live_members_with_short_or_unnamed_headers(shm):
    shm.create(0xAE001000, 2155, shm_sets.base_bytes('test', 1, size=2155))
    shm.create(0xA2001000, 23)
    shm.create(0xAD001000, 43, shm_sets.data_bytes('test')[:43])
    shm.create(0xAD001001, 100, bytes(100))
    members = by_key(_discovery.live_members(0))
    base = members[0xAE001000]
    assert base.name == 'test' and base.base is None       # the name fits, the stage count does not
    assert members[0xA2001000].meta_n_arenas is None
    assert members[0xAD001000].name is None
    assert members[0xAD001001].name is None


def test_live_member_that_vanished_keeps_a_problem(shm):
    made = shm.make_set(instance=0, nsid=1, name='test')
    entries = _sysv.list_segments()
    shm.remove(made['base'])
    members = by_key(_discovery.live_members(0, entries))
    assert members[made['base']].name is None
    assert members[made['base']].problem.startswith('cannot read segment 0xae001000: ')
    assert members[made['treex']].problem is None


# --------------------------------------------------------------------------------- backup folders

def asmt_gz(data, crc=None):
    return shm_sets.asmt_gz(data, crc=crc)


@pytest.fixture
def backup(tmp_path):
    """The minimal folder C ASMT restores (docs/asmt-format.md §5.2) for instance 3, 'mini', plus noise."""
    folder = tmp_path / 'b'
    folder.mkdir()
    files = {
        'ae302000.dat': shm_sets.base_bytes('mini', 1),
        'ae302001.dat.gz': asmt_gz(b'T'),
        'ae302100.dat.gz': asmt_gz(b'P' * 5000),
        'a2302000.dat': shm_sets.meta_bytes(1),
        'a2302100.dat.gz': asmt_gz(b'S'),
        'ad305000.dat.gz': asmt_gz(shm_sets.data_bytes('mini', size=100000), crc=0),
        'AD305001.dat': shm_sets.data_bytes('mini'),
        'ae402000.dat': shm_sets.base_bytes('mini', 1),          # instance 4
        'fastrestart-i3-mini.manifest.json': b'{}',
        'notes.txt': b'',
        'ae30200g.dat': b'',
        'ae302000.dat.bak': b'',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    os.chown(str(folder / 'ae302100.dat.gz'), 65534, 65533)
    os.chmod(str(folder / 'ae302100.dat.gz'), 0o640)
    return folder


def test_folder_entries(backup):
    files, invalid = _discovery.folder_entries(str(backup))
    assert sorted(files) == ['AD305001.dat', 'a2302000.dat', 'a2302100.dat.gz', 'ad305000.dat.gz', 'ae302000.dat',
                             'ae302001.dat.gz', 'ae302100.dat.gz', 'ae402000.dat']
    assert files['ae302100.dat.gz'][0].role == PI_STAGE and files['ae302100.dat.gz'][1] is True
    assert files['ae302000.dat'][1] is False
    assert invalid == ['ae30200g.dat']


def test_file_members(backup):
    members = dict((m.file, m) for m in _discovery.file_members(str(backup), 3, CODEC))
    assert sorted(members) == ['AD305001.dat', 'a2302000.dat', 'a2302100.dat.gz', 'ad305000.dat.gz', 'ae302000.dat',
                               'ae302001.dat.gz', 'ae302100.dat.gz']
    assert all(m.problem is None for m in members.values())
    base = members['ae302000.dat']
    assert (base.key.role, base.name, base.base, base.size, base.compressed) == (
        BASE, 'mini', BaseHeader(12, 1, 'mini', 1), 2156, False)
    stage = members['ae302100.dat.gz']
    # a compressed file stands for a segment of the size its header records
    assert (stage.size, stage.file_size, stage.compressed) == (5000, os.path.getsize(str(backup / 'ae302100.dat.gz')), True)
    assert (stage.uid, stage.gid, stage.mode) == (65534, 65533, 0o640)
    assert stage.header_crc == zlib.crc32(b'P' * 5000)
    assert members['a2302000.dat'].meta_n_arenas == 1 and members['a2302000.dat'].key.role == META
    data = members['ad305000.dat.gz']
    # the name of a compressed stripe comes from its first inflated bytes
    assert (data.key.role, data.name, data.size, data.header_crc) == (DATA, 'mini', 100000, 0)
    assert members['AD305001.dat'].name == 'mini'
    assert members['ae302001.dat.gz'].key.role == TREEX


def test_file_members_of_another_instance(backup):
    assert [m.file for m in _discovery.file_members(str(backup), 4, CODEC)] == ['ae402000.dat']
    assert _discovery.file_members(str(backup), 0, CODEC) == []


@pytest.mark.parametrize('name, make, problem', [
    ('ae302000.dat.gz', lambda p: p.write_bytes(asmt_gz(shm_sets.base_bytes('mini', 1))),
     r'{folder}/ae302000.dat.gz: a pi-base is never stored compressed; decompress it to ae302000.dat \(header of 24 '
     r'bytes removed\) or back up again'),
    ('a2302000.dat.gz', lambda p: p.write_bytes(asmt_gz(shm_sets.meta_bytes(1))),
     'a si-meta is never stored compressed'),
    ('ae302100.dat.gz', lambda p: p.write_bytes(b'XXXX' + asmt_gz(b'P')[4:]),
     r'{folder}/ae302100.dat.gz: not an ASMT compressed file \(magic bytes 58585858\)'),
    ('ae302100.dat.gz', lambda p: p.write_bytes(asmt_gz(b'P')[:20]), 'too short for an ASMT header'),
    ('ad305000.dat.gz', lambda p: p.write_bytes(asmt_gz(b'P')[:24] + b'\x00\x01garbage' * 10),
     '{folder}/ad305000.dat.gz: no gzip or zlib stream after the ASMT header'),
    ('ae302100.dat', lambda p: p.mkdir(), '{folder}/ae302100.dat is not a regular file'),
    ('ae302100.dat', lambda p: os.symlink('/etc/hostname', str(p)),
     '{folder}/ae302100.dat is a symbolic link; restore reads only regular files: replace it with the file itself'),
    ('ae302100.dat', lambda p: os.mkfifo(str(p)), 'is not a regular file'),
])
def test_unusable_files_keep_a_problem(tmp_path, name, make, problem):
    make(tmp_path / name)
    (member,) = _discovery.file_members(str(tmp_path), 3, CODEC)
    assert member.file == name
    assert member.problem is not None
    assert re.search(problem.format(folder=re.escape(str(tmp_path))), member.problem), member.problem


@pytest.mark.parametrize('size, name, has_header', [(1055, None, False), (1056, 'mini', False), (2155, 'mini', False),
                                                    (2156, 'mini', True), (100, None, False)])
def test_short_base_files(tmp_path, size, name, has_header):
    (tmp_path / 'ae302000.dat').write_bytes(shm_sets.base_bytes('mini', 1, size=max(size, 2156))[:size])
    (member,) = _discovery.file_members(str(tmp_path), 3, CODEC)
    assert member.name == name
    assert (member.base is not None) is has_header
    assert member.problem is None and member.size == size


def test_short_compressed_stripe_has_no_name(tmp_path):
    (tmp_path / 'ad305000.dat.gz').write_bytes(asmt_gz(shm_sets.data_bytes('mini')[:43]))
    (member,) = _discovery.file_members(str(tmp_path), 3, CODEC)
    assert member.name is None and member.problem is None and member.size == 43


def test_entries_can_be_given(backup):
    files, dummy = _discovery.folder_entries(str(backup))
    only = dict((k, v) for k, v in files.items() if k.startswith('ae3'))
    assert sorted(m.file for m in _discovery.file_members(str(backup), 3, CODEC, only)) == [
        'ae302000.dat', 'ae302001.dat.gz', 'ae302100.dat.gz']


def test_entry_that_disappeared_is_skipped(backup):
    files, dummy = _discovery.folder_entries(str(backup))
    os.unlink(str(backup / 'ae302001.dat.gz'))
    assert 'ae302001.dat.gz' not in [m.file for m in _discovery.file_members(str(backup), 3, CODEC, files)]
