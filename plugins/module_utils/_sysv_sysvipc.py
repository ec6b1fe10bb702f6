# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Attaching segments through the sysv_ipc library, preferred where it is installed.

This is the only file that imports sysv_ipc. Its exceptions are turned into OSError with the
errno the kernel gave, so the core catches the same errors whichever backend attached.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import errno
import os
import traceback

try:
    import sysv_ipc
except ImportError:
    sysv_ipc = None
    HAS_SYSV_IPC = False
    IMPORT_ERROR = traceback.format_exc()
else:
    HAS_SYSV_IPC = True
    IMPORT_ERROR = None

__metaclass__ = type

NAME = 'sysv_ipc'

_PERMISSION_BITS = 0o777


def os_error(exc):
    """The OSError for a sysv_ipc exception: sysv_ipc names the errno by class only.

    Every call here works on a shmid, for which the kernel answers EINVAL (or EIDRM) when it
    is gone: sysv_ipc reports that as ExistentialError, or as ValueError from attach().
    """
    if isinstance(exc, OSError):
        return exc
    code = errno.EIO
    if isinstance(exc, sysv_ipc.PermissionsError):
        code = errno.EACCES
    elif isinstance(exc, (sysv_ipc.ExistentialError, sysv_ipc.NotAttachedError, ValueError)):
        code = errno.EINVAL
    return OSError(code, os.strerror(code))


@contextlib.contextmanager
def _as_os_error():
    try:
        yield
    except (sysv_ipc.Error, ValueError) as exc:
        raise os_error(exc)


class Attachment:
    """One attachment of a segment, with a memoryview that is released before detaching.

    sysv_ipc lets detach() succeed while views are alive and a later access then crashes the
    process; and a read-only attachment still reports a writable buffer. Views handed out
    here are read-only for read-only attachments, so a mistake raises instead of crashing.
    """

    def __init__(self, shmid, readonly=True):
        flags = sysv_ipc.SHM_RDONLY if readonly else 0
        self.readonly = readonly
        with _as_os_error():
            self.memory = sysv_ipc.attach(shmid, None, flags)
        self.shmid = shmid
        self.size = self.memory.size
        view = memoryview(self.memory)
        self.view = view.toreadonly() if readonly else view
        self._raw = view

    @property
    def address(self):
        return self.memory.address

    @property
    def attached(self):
        return self.memory is not None

    def set_owner(self, uid, gid, mode):
        """IPC_SET owner, group and permission bits (masked to 0o777)."""
        with _as_os_error():
            self.memory.uid = uid
            self.memory.gid = gid
            self.memory.mode = mode & _PERMISSION_BITS

    def remove(self):
        """Mark the segment for removal; the kernel frees it at the last detach."""
        with _as_os_error():
            self.memory.remove()

    def detach(self):
        if self.memory is None:
            return
        if self.view is not self._raw:
            self.view.release()
        self._raw.release()
        with _as_os_error():
            self.memory.detach()
        self.memory = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.detach()
