# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Rules for the backup folder: who could change it, where it lives, how much room it has.

A restore runs as root and writes what it reads into the server's index, so it refuses a
folder that a user other than root and the folder's owner could change. A backup applies
the same rule to the files it is about to write, so it never makes a backup that its own
restore would refuse.
"""

from __future__ import absolute_import, division, print_function

import os
import stat

__metaclass__ = type

VOLATILE_FILESYSTEMS = ('tmpfs', 'ramfs')
GROUP_OTHER_WRITE = stat.S_IWGRP | stat.S_IWOTH
GROUP_OTHER_SEARCH = stat.S_IXGRP | stat.S_IXOTH


def mode_text(mode):
    return '0%03o' % (mode & 0o7777)


def folder_problems(path, file_modes, owner_uid=None):
    """Reasons why users other than root and the folder's owner could change this backup.

    file_modes maps file names to the permission bits they have (restore) or will have
    (backup). Returns a list of (code, message) pairs.
    """
    problems = []
    st = os.stat(path)
    owner = st.st_uid if owner_uid is None else owner_uid
    mode = st.st_mode
    if mode & GROUP_OTHER_WRITE:
        problems.append(('folder-permissions',
                         'folder %s is writable by group or other (mode %s): anyone in them could replace the backup; '
                         'run chmod 0700 %s' % (path, mode_text(mode), path)))
    elif mode & GROUP_OTHER_SEARCH:
        writable = sorted(name for name, bits in file_modes.items() if bits & GROUP_OTHER_WRITE)
        if writable:
            problems.append(('folder-permissions',
                             'folder %s lets group or other in (mode %s) and %s %s writable by them (mode %s): they '
                             'could change the backup; run chmod 0700 %s' % (
                                 path, mode_text(mode), ', '.join(writable[:3]) + (' ...' if len(writable) > 3 else ''),
                                 'is' if len(writable) == 1 else 'are', mode_text(file_modes[writable[0]]), path)))
    problems.extend(ancestor_problems(path, owner))
    return problems


def ancestor_problems(path, owner_uid):
    """A parent that others may write to (without the sticky bit) lets them swap the folder."""
    problems = []
    current = os.path.dirname(os.path.realpath(path))
    while True:
        st = os.stat(current)
        if st.st_uid not in (0, owner_uid):
            problems.append(('folder-permissions',
                             'parent folder %s belongs to uid %d, who could replace %s; keep backups under folders owned '
                             'by root' % (current, st.st_uid, path)))
        elif st.st_mode & GROUP_OTHER_WRITE and not st.st_mode & stat.S_ISVTX:
            problems.append(('folder-permissions',
                             'parent folder %s is writable by group or other without the sticky bit (mode %s), so they '
                             'could replace %s; run chmod go-w %s' % (current, mode_text(st.st_mode), path, current)))
        parent = os.path.dirname(current)
        if parent == current:
            return problems
        current = parent


def filesystem_type(path, mountinfo='/proc/self/mountinfo'):
    """The type of the file system holding path (the longest matching mount point)."""
    target = os.path.realpath(path)
    best = ('', None)
    with open(mountinfo) as handle:
        for line in handle:
            left, sep, right = line.partition(' - ')
            if not sep:
                continue
            mount_point = left.split()[4].replace('\\040', ' ')
            inside = target == mount_point or target.startswith(mount_point.rstrip('/') + '/')
            if inside and len(mount_point) >= len(best[0]):
                best = (mount_point, right.split()[0])
    return best[1]


def existing_ancestor(path):
    """path itself if it exists, else its nearest existing parent: where it would be created."""
    existing = path
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    return existing


def volatile_filesystem(path):
    """'tmpfs' or 'ramfs' when a reboot would erase path, else None."""
    fstype = filesystem_type(existing_ancestor(path))
    return fstype if fstype in VOLATILE_FILESYSTEMS else None


def free_bytes(path):
    """Bytes available to this user on path's file system (or its nearest existing parent's)."""
    st = os.statvfs(existing_ancestor(path))
    return st.f_bavail * st.f_frsize
