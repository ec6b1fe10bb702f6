# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Find the members of sets: live segments in /proc/sysvipc/shm, or files in a backup folder."""

from __future__ import absolute_import, division, print_function

import os
import stat

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _layout
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
    META,
    decode,
    has_invalid_characters,
    parse_file_name,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._segment_set import (
    Member,
)

__metaclass__ = type

_BASE_NAME_END = _layout.BASE_NAME_OFFSET + _layout.NAME_SIZE


def _read_headers(member, prefix):
    """Fill name / base header / meta stage count from the first bytes of a member."""
    role = member.key.role
    if role == BASE:
        if len(prefix) >= _BASE_NAME_END:
            member.name = _layout.decode_name(prefix[_layout.BASE_NAME_OFFSET:_BASE_NAME_END])
        if len(prefix) >= _layout.BASE_MIN_SIZE:
            member.base = _layout.parse_base(prefix)
    elif role == META:
        if len(prefix) >= _layout.META_MIN_SIZE:
            member.meta_n_arenas = _layout.parse_meta_n_arenas(prefix)
    elif role == DATA:
        member.name = _layout.parse_data_name(prefix)


def _header_length(role):
    return {BASE: _layout.BASE_MIN_SIZE, META: _layout.META_MIN_SIZE, DATA: _layout.DATA_MIN_SIZE}.get(role, 0)


def live_members(instance, entries=None):
    """Members for every Aerospike segment of one instance, attached ones included.

    nattch comes from /proc before anything is attached. Only this instance's bases, metas
    and data stripes are attached (read-only, briefly) to read their names and counts:
    C ASMT attaches every Aerospike segment of every instance (docs/asmt-format.md §7, difference 19).
    """
    if entries is None:
        entries = _sysv.list_segments()
    members = []
    for entry in entries:
        key = decode(entry.key)
        if key is None or key.instance != instance:
            continue
        member = Member(key, entry.size, entry.uid, entry.gid, entry.mode, shmid=entry.shmid, nattch=entry.nattch)
        length = _header_length(key.role)
        if length:
            try:
                _read_headers(member, _sysv.read_prefix(entry.shmid, length))
            except ShmError:
                # No backend to attach with (a library asked for but missing): every segment
                # would fail the same way, so say that, not that no segment has a name.
                raise
            except Exception as exc:  # pylint: disable=broad-except
                # A segment that vanished or cannot be attached has no readable name.
                member.problem = 'cannot read segment %s: %s' % (key.hex, exc)
        members.append(member)
    return members


def folder_entries(folder):
    """Names in a folder that are ASMT segment files: {name: (SegmentKey, compressed)}, plus odd names.

    folder is a Folder (opened once, checked) or, for read-only callers, a path.
    """
    with _folder.opened(folder) as opened:
        listing = opened.listdir()
    files = {}
    invalid = []
    for name in listing:
        parsed = parse_file_name(name)
        if parsed is not None:
            files[name] = parsed
        elif has_invalid_characters(name):
            invalid.append(name)
    return files, sorted(invalid)


def file_members(folder, instance, codec, entries=None):
    """Members for every segment file of one instance in a backup folder.

    Files that cannot be used keep a problem text instead of being skipped as C ASMT skips
    them: a silently dropped stripe becomes a silently cold namespace.
    """
    with _folder.opened(folder) as opened:
        if entries is None:
            entries, dummy = folder_entries(opened)
        return [m for m in (_file_member(opened, name, key, compressed, codec)
                            for name, (key, compressed) in sorted(entries.items()) if key.instance == instance) if m]


def _file_member(folder, name, key, compressed, codec):
    path = folder.join(name)
    try:
        st = folder.lstat(name)
    except OSError:
        return None
    member = Member(key, st.st_size, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode) & 0o777,
                    file=name, compressed=compressed, file_size=st.st_size)
    if stat.S_ISLNK(st.st_mode):
        member.problem = '%s is a symbolic link; restore reads only regular files: replace it with the file itself' % path
    elif not stat.S_ISREG(st.st_mode):
        member.problem = '%s is not a regular file' % path
    elif compressed and not key.compressible:
        # C ASMT reads a base or meta only as .dat and misreads a .dat.gz one (docs/asmt-format.md §7, difference 15).
        member.problem = ('%s: a %s is never stored compressed; decompress it to %s.dat (header of 24 bytes removed) '
                          'or back up again' % (path, key.role, name.split('.')[0]))
    elif not compressed and st.st_size == 0:
        member.problem = ('%s is empty (0 bytes): the file is damaged or was cut short; restore from another backup'
                          % path)
    else:
        try:
            _read_file_headers(member, folder, name, codec)
        except (IntegrityError, OSError) as exc:
            member.problem = getattr(exc, 'msg', None) or '%s: %s' % (path, exc)
    return member


def _read_file_headers(member, folder, name, codec):
    path = folder.join(name)
    length = _header_length(member.key.role)
    fd, dummy = folder.open_regular(name)
    try:
        if member.compressed:
            header = _fileformat.read_header(fd, path)
            member.size = header.segment_size
            member.header_crc = header.crc32
            if length:
                _read_headers(member, _fileformat.peek(codec, fd, length, path))
        elif length:
            _read_headers(member, os.pread(fd, length, 0))
    finally:
        os.close(fd)
