# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify a backup folder from its files alone: good backups pass, damage is named."""

from __future__ import absolute_import, division, print_function

import os

import pytest

import shm_sets
from shm_sets import PRIMARY, key

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _verify
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import IntegrityError

__metaclass__ = type


@pytest.fixture
def made_backup(shm, tmp_path):
    """A compressed and a plain backup of the same set, and the segments removed."""
    made = shm.make_set(stages=2, sindex_stages=1, stripes=2, stage_size=300000)
    for compress in (False, True):
        plan = _backup.plan_backup(str(tmp_path / ('gz' if compress else 'plain')), ['test'], compress=compress)
        plan.raise_if_refused()
        _backup.execute_backup(plan)
    shm.remove_all()
    return made


def verify(path, **kwargs):
    plan = _verify.plan_verify(str(path), **kwargs)
    plan.raise_if_refused()
    return _verify.execute_verify(plan)


@pytest.mark.parametrize('folder', ['plain', 'gz'])
def test_good_backup_verifies(made_backup, tmp_path, folder):
    before = shm_sets.snapshot(str(tmp_path / folder))
    result = verify(tmp_path / folder)
    assert result['changed'] is False
    [namespace] = result['namespaces']
    assert namespace['state'] == 'verified' and namespace['namespace'] == 'test'
    assert len(namespace['files']) == len(made_backup)
    assert all(f['ok'] and f['checked_against'] == 'manifest' for f in namespace['files'])
    assert result['bytes'] == namespace['bytes'] > 0
    # Only read: nothing in the folder changes, and no segment is created.
    assert shm_sets.snapshot(str(tmp_path / folder)) == before
    assert shm_sets.segments() == {}


def test_verify_by_namespace_and_instance(made_backup, tmp_path):
    assert verify(tmp_path / 'gz', namespaces=['test'], instance=0)['namespaces'][0]['state'] == 'verified'
    plan = _verify.plan_verify(str(tmp_path / 'gz'), namespaces=['other'], instance=0)
    assert [p.code for p in plan.all_problems()] == ['not-found']


def _damaged(path):
    plan = _verify.plan_verify(str(path))
    plan.raise_if_refused()
    with pytest.raises(IntegrityError) as info:
        _verify.execute_verify(plan)
    return info.value


@pytest.mark.parametrize('offset', [40, 1000, -6], ids=['stream-start', 'stream-middle', 'gzip-trailer-size'])
def test_flipped_byte_in_dat_gz_fails(made_backup, tmp_path, offset):
    name = '%08x.dat.gz' % made_backup['pi-0x101']
    shm_sets.flip_byte(str(tmp_path / 'gz' / name), offset)
    error = _damaged(tmp_path / 'gz')
    assert name in error.msg
    namespace = error.facts['result']['namespaces'][0]
    assert namespace['state'] == 'damaged'
    bad = [f for f in namespace['files'] if not f['ok']]
    # Every other file was still read and found good: the report is complete.
    assert [f['file'] for f in bad] == [name] and len(namespace['files']) == len(made_backup)


def test_flipped_byte_in_dat_fails_on_manifest_crc(made_backup, tmp_path):
    name = '%08x.dat' % made_backup['pi-0x100']
    shm_sets.flip_byte(str(tmp_path / 'plain' / name), 123456)
    error = _damaged(tmp_path / 'plain')
    assert name in error.msg and 'the manifest records' in error.msg and 'damaged' in error.msg


def test_two_damaged_files_both_reported(made_backup, tmp_path):
    for label in ('pi-0x100', 'data-0x001'):
        shm_sets.flip_byte(str(tmp_path / 'plain' / ('%08x.dat' % made_backup[label])), 100)
    error = _damaged(tmp_path / 'plain')
    assert 'and 1 more damaged files' in error.msg
    bad = [f['key'] for f in error.facts['result']['namespaces'][0]['files'] if not f['ok']]
    assert bad == ['0x%08x' % made_backup['pi-0x100'], '0x%08x' % made_backup['data-0x001']]


@pytest.mark.parametrize('folder', ['plain', 'gz'])
def test_missing_file_fails(made_backup, tmp_path, folder):
    ext = '.dat.gz' if folder == 'gz' else '.dat'
    name = '%08x%s' % (made_backup['si-0x100'], ext)
    os.unlink(str(tmp_path / folder / name))
    plan = _verify.plan_verify(str(tmp_path / folder))
    assert not plan.ok
    assert any(name in p.message and 'missing' in p.message for p in plan.all_problems()), plan.message()


@pytest.mark.parametrize('folder', ['plain', 'gz'])
def test_truncated_file_fails(made_backup, tmp_path, folder):
    ext = '.dat.gz' if folder == 'gz' else '.dat'
    path = str(tmp_path / folder / ('%08x%s' % (made_backup['pi-0x101'], ext)))
    os.truncate(path, os.path.getsize(path) - 100)
    plan = _verify.plan_verify(str(tmp_path / folder))
    assert not plan.ok
    assert any('damaged or incomplete' in p.message and path in p.message for p in plan.all_problems())


def test_truncated_file_without_manifest_fails_when_read(made_backup, tmp_path):
    """A C ASMT backup has no manifest: only reading the stream shows it is short."""
    folder = tmp_path / 'gz'
    os.unlink(str(folder / _manifest.manifest_name(0, 'test')))
    path = str(folder / ('%08x.dat.gz' % made_backup['pi-0x101']))
    os.truncate(path, os.path.getsize(path) - 100)
    error = _damaged(folder)
    assert path in error.msg and 'truncated' in error.msg


def test_c_backup_without_manifest_verifies_against_gzip_trailers(shm, tmp_path):
    files = shm_sets.c_backup_files('mini', 3, 2, [
        (PRIMARY, None, 0, shm_sets.base_bytes('mini', 1)),
        (PRIMARY, None, 1, b'T'),
        (PRIMARY, None, 0x100, os.urandom(10000)),
    ])
    folder = shm_sets.write_files(str(tmp_path / 'c'), files)
    result = verify(folder)
    [namespace] = result['namespaces']
    assert (namespace['instance'], namespace['namespace'], namespace['state']) == (3, 'mini', 'verified')
    checked = dict((f['key'], f['checked_against']) for f in namespace['files'])
    assert checked['0x%08x' % key(PRIMARY, 3, 2, 0x100)] == 'gzip trailer'
    assert checked['0x%08x' % key(PRIMARY, 3, 2, 0)] == 'nothing (no manifest)'
    shm_sets.flip_byte(os.path.join(folder, '%08x.dat.gz' % key(PRIMARY, 3, 2, 0x100)), -7)
    error = _damaged(folder)
    # Whichever notices first: inflate's own trailer check or ours.
    assert 'ae302100.dat.gz' in error.msg and ('checksum' in error.msg or 'gzip trailer' in error.msg)


def test_empty_folder_refused(tmp_path):
    plan = _verify.plan_verify(str(tmp_path))
    assert [p.code for p in plan.all_problems()] == ['not-found'] and 'holds no backup' in plan.message()
