# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who could change a backup folder, whether a reboot erases it, and how much room it has."""

from __future__ import absolute_import, division, print_function

import functools
import os

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder

__metaclass__ = type

NOBODY = 65534


@pytest.fixture
def folder(tmp_path):
    """A root-owned folder under a root-owned, private parent (as tmp_path is for root)."""
    path = tmp_path / 'backup'
    path.mkdir()
    os.chmod(str(path), 0o700)
    return path


def codes(problems):
    return [code for code, dummy in problems]


def check(path, file_modes):
    """What a plan reports: the walk from / to the folder, then the files' modes."""
    try:
        opened = _folder.open_trusted(str(path))
    except _folder.UntrustedFolder as exc:
        return [(exc.code, exc.message)]
    try:
        return _folder.folder_problems(opened, file_modes)
    finally:
        opened.close()


@pytest.mark.parametrize('mode', [0o777, 0o770, 0o720, 0o702, 0o730, 0o1777])
def test_folder_writable_by_group_or_other_is_refused(folder, mode):
    os.chmod(str(folder), mode)
    problems = check(folder, {})
    assert problems == [('folder-permissions',
                         'folder %s is writable by group or other (mode %s): anyone in them could replace the backup; '
                         'run chmod 0700 %s' % (folder, '0%03o' % mode, folder))]


@pytest.mark.parametrize('mode', [0o755, 0o711, 0o750, 0o705, 0o701])
@pytest.mark.parametrize('file_mode', [0o666, 0o662, 0o626, 0o602, 0o620])
def test_open_folder_with_a_file_others_can_write_is_refused(folder, mode, file_mode):
    os.chmod(str(folder), mode)
    problems = check(folder, {'ae001000.dat': 0o600, 'ae001001.dat.gz': file_mode})
    assert problems == [('folder-permissions',
                         'folder %s lets group or other in (mode 0%03o) and ae001001.dat.gz is writable by them '
                         '(mode 0%03o): they could change the backup; run chmod 0700 %s' % (folder, mode, file_mode, folder))]


def test_many_writable_files_are_summarised(folder):
    os.chmod(str(folder), 0o755)
    modes = dict(('ae0011%02x.dat.gz' % i, 0o666) for i in range(5))
    modes['ae001000.dat'] = 0o600
    (dummy, message), = check(folder, modes)
    assert 'ae001100.dat.gz, ae001101.dat.gz, ae001102.dat.gz ... are writable by them (mode 0666)' in message


@pytest.mark.parametrize('mode, file_modes', [
    (0o700, {'ae001000.dat': 0o666, 'ae001001.dat.gz': 0o666}),   # nobody else can get in: file modes do not matter
    (0o700, {}),
    (0o500, {'ae001000.dat': 0o666}),
    (0o755, {'ae001000.dat': 0o644, 'ae001001.dat.gz': 0o640}),
    (0o750, {'ae001000.dat': 0o600}),
    (0o744, {'ae001000.dat': 0o666}),                              # read without search: no way to a file
])
def test_accepted_folders(folder, mode, file_modes):
    os.chmod(str(folder), mode)
    assert check(folder, file_modes) == []


def test_ancestor_writable_by_others_is_refused(tmp_path):
    parent = tmp_path / 'shared'
    child = parent / 'backup'
    child.mkdir(parents=True)
    os.chmod(str(parent), 0o777)
    problems = check(child, {})
    assert problems == [('folder-permissions',
                         'parent folder %s is writable by group or other without the sticky bit (mode 0777), so they '
                         'could replace %s; run chmod go-w %s' % (parent, child, parent))]


def test_ancestor_with_sticky_bit_is_accepted(tmp_path):
    parent = tmp_path / 'tmp-like'
    child = parent / 'backup'
    child.mkdir(parents=True)
    os.chmod(str(parent), 0o1777)
    assert check(child, {}) == []


def test_ancestor_owned_by_another_user_is_refused(tmp_path):
    parent = tmp_path / 'theirs'
    child = parent / 'backup'
    child.mkdir(parents=True)
    os.chown(str(parent), NOBODY, NOBODY)
    os.chmod(str(parent), 0o755)
    problems = check(child, {})
    assert codes(problems) == ['folder-owner']
    assert 'parent folder %s belongs to uid %d' % (parent, NOBODY) in problems[0][1]


def test_folder_owned_by_another_user_is_refused(folder):
    """Issue 9: a 0700 folder of an unprivileged user is theirs to fill, so root must not trust it."""
    os.chown(str(folder), NOBODY, NOBODY)
    problems = check(folder, {})
    assert codes(problems) == ['folder-owner']
    assert 'folder %s belongs to uid %d' % (folder, NOBODY) in problems[0][1] and 'chown root' in problems[0][1]


def test_ancestors_are_checked_through_symlinks(tmp_path):
    parent = tmp_path / 'open'
    child = parent / 'backup'
    child.mkdir(parents=True)
    os.chmod(str(parent), 0o777)
    link = tmp_path / 'link'
    os.symlink(str(child), str(link))
    assert codes(check(link, {})) == ['folder-permissions']


def test_symlink_owned_by_another_user_is_not_followed(tmp_path, folder):
    link = tmp_path / 'link'
    os.symlink(str(folder), str(link))
    os.lchown(str(link), NOBODY, NOBODY)
    problems = check(link, {})
    assert codes(problems) == ['folder-owner'] and 'is a symbolic link owned by uid %d' % NOBODY in problems[0][1]


def test_folder_problems_stop_at_the_first_folder(tmp_path):
    parent = tmp_path / 'open'
    child = parent / 'backup'
    child.mkdir(parents=True)
    os.chmod(str(parent), 0o777)
    os.chmod(str(child), 0o777)
    assert 'parent folder' in check(child, {})[0][1]


@pytest.mark.parametrize('mode, text', [(0o700, '0700'), (0o40755, '0755'), (0o1777, '01777'), (0o100644, '0644')])
def test_mode_text(mode, text):
    assert _folder.mode_text(mode) == text


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
23 22 0:21 / {root}/shm rw,nosuid,nodev shared:2 - tmpfs tmpfs rw,size=1g
24 22 0:22 / {root}/ram rw shared:3 master:9 - ramfs ramfs rw
25 22 0:23 / {root}/with\\040space rw - tmpfs tmpfs rw
26 22 8:17 / {root}/disk rw - xfs /dev/sdb1 rw
27 26 0:24 / {root}/disk/inner rw - tmpfs none rw
36 35 98:0 /mnt1 {root}/optional rw,noatime master:1 - ext3 /dev/root rw,errors=continue
malformed line without separator
"""


@pytest.fixture
def mountinfo(tmp_path):
    root = tmp_path / 'mnt'
    for sub in ('shm', 'ram', 'with space', 'disk/inner', 'disk/plain', 'ramdisk', 'optional'):
        (root / sub).mkdir(parents=True)
    path = tmp_path / 'mountinfo'
    path.write_text(MOUNTINFO.format(root=root))
    return root, str(path)


@pytest.mark.parametrize('sub, fstype', [
    ('shm', 'tmpfs'), ('shm/backups/new', 'tmpfs'), ('ram', 'ramfs'), ('ram/x', 'ramfs'),
    ('ramdisk', 'ext4'),                        # a sibling sharing a prefix is not inside /ram
    ('with space/b', 'tmpfs'),                  # mountinfo escapes spaces as \040
    ('disk/plain', 'xfs'), ('disk/inner/b', 'tmpfs'),   # the longest mount point wins
    ('optional', 'ext3'),                       # optional fields before the separator
    ('', 'ext4'),
])
def test_filesystem_type_from_mountinfo_text(mountinfo, sub, fstype):
    root, path = mountinfo
    assert _folder.filesystem_type(str(root / sub), mountinfo=path) == fstype


@pytest.mark.parametrize('sub, volatile', [
    ('shm', 'tmpfs'), ('shm/not/yet/created', 'tmpfs'), ('ram/new', 'ramfs'), ('with space/new', 'tmpfs'),
    ('disk/inner', 'tmpfs'), ('disk/plain/new', None), ('ramdisk/new', None), ('optional', None),
])
def test_volatile_filesystem_from_mountinfo_text(monkeypatch, mountinfo, sub, volatile):
    root, path = mountinfo
    monkeypatch.setattr(_folder, 'filesystem_type', functools.partial(_folder.filesystem_type, mountinfo=path))
    assert _folder.volatile_filesystem(str(root / sub)) == volatile


@pytest.mark.skipif(_folder.filesystem_type('/dev/shm') != 'tmpfs', reason='/dev/shm is not tmpfs here')
def test_volatile_filesystem_on_this_host():
    assert _folder.volatile_filesystem('/dev/shm/fastrestart-c1-missing/backup') == 'tmpfs'
    assert _folder.volatile_filesystem('/proc') is None


def test_free_bytes(tmp_path):
    st = os.statvfs(str(tmp_path))
    expected = st.f_bavail * st.f_frsize
    free = _folder.free_bytes(str(tmp_path))
    assert free > 0
    # other processes may write meanwhile
    assert abs(free - expected) < 256 << 20
    # a folder a backup would create is measured on its nearest existing parent
    assert abs(_folder.free_bytes(str(tmp_path / 'a' / 'b' / 'c')) - expected) < 256 << 20
