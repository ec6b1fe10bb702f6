# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Attaching segments through the C library's shmat, shmctl and shmdt: the standard library only.

The backend for a stock python3 (Aerospike hosts rarely have sysv_ipc). IPC_STAT and IPC_SET
pass a struct shmid_ds, laid out here as glibc declares it for Linux x86_64 and aarch64; any
other machine is refused rather than handed a guessed layout that IPC_SET would write back.
"""

from __future__ import absolute_import, division, print_function

import ctypes
import mmap
import os
import platform
import weakref

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _libc

__metaclass__ = type

NAME = 'ctypes'

_IPC_RMID = 0
_IPC_SET = 1
_IPC_STAT = 2
_SHM_RDONLY = 0o10000
_PERMISSION_BITS = 0o777
_FAILED = ctypes.c_void_p(-1).value   # shmat's and mmap's (void *) -1
_MAP_FIXED = 0x10                     # the same on x86_64 and aarch64; Python's mmap module lacks it
_PAGE_SIZE = os.sysconf('SC_PAGE_SIZE')


class _IpcPermX8664(ctypes.Structure):
    """glibc's x86 struct ipc_perm: a 16-bit mode, then padding (the kernel's ipc64_perm)."""

    _fields_ = [('key', ctypes.c_int32), ('uid', ctypes.c_uint32), ('gid', ctypes.c_uint32),
                ('cuid', ctypes.c_uint32), ('cgid', ctypes.c_uint32), ('mode', ctypes.c_uint16),
                ('pad1', ctypes.c_uint16), ('seq', ctypes.c_uint16), ('pad2', ctypes.c_uint16),
                ('reserved1', ctypes.c_uint64), ('reserved2', ctypes.c_uint64)]


class _IpcPermGeneric(ctypes.Structure):
    """glibc's generic struct ipc_perm (aarch64): mode is a 32-bit mode_t, without pad1."""

    _fields_ = [('key', ctypes.c_int32), ('uid', ctypes.c_uint32), ('gid', ctypes.c_uint32),
                ('cuid', ctypes.c_uint32), ('cgid', ctypes.c_uint32), ('mode', ctypes.c_uint32),
                ('seq', ctypes.c_uint16), ('pad2', ctypes.c_uint16),
                ('reserved1', ctypes.c_uint64), ('reserved2', ctypes.c_uint64)]


def _shmid_ds(perm):
    """struct shmid_ds of a 64-bit glibc: the same on x86_64 and aarch64 but for its ipc_perm."""
    return type('ShmidDs', (ctypes.Structure,), {'_fields_': [
        ('shm_perm', perm), ('shm_segsz', ctypes.c_uint64), ('shm_atime', ctypes.c_int64),
        ('shm_dtime', ctypes.c_int64), ('shm_ctime', ctypes.c_int64), ('shm_cpid', ctypes.c_int32),
        ('shm_lpid', ctypes.c_int32), ('shm_nattch', ctypes.c_uint64), ('reserved5', ctypes.c_uint64),
        ('reserved6', ctypes.c_uint64)]})


_LAYOUTS = {'x86_64': _shmid_ds(_IpcPermX8664), 'aarch64': _shmid_ds(_IpcPermGeneric)}
_LAYOUTS['arm64'] = _LAYOUTS['aarch64']


def layout(machine=None):
    """The struct shmid_ds of this machine, or None where its layout is not known here."""
    # A 32-bit Python on a 64-bit kernel reports the kernel's machine but uses 32-bit structs.
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    return _LAYOUTS.get(machine or platform.machine())


def unsupported():
    """Why this backend cannot run here, or None when it can."""
    if layout() is None:
        return 'struct shmid_ds is known here for 64-bit x86_64 and aarch64 only, not %s (%d-bit)' % (
            platform.machine(), 8 * ctypes.sizeof(ctypes.c_void_p))
    return None


def stat(shmid):
    """IPC_STAT: the segment's struct shmid_ds; OSError(EINVAL) once it is gone."""
    info = layout()()
    if _libc.libc().shmctl(shmid, _IPC_STAT, ctypes.addressof(info)) != 0:
        raise _libc.errno_error()
    return info


def _detach_address(address):
    # Runs when the last memoryview over the mapping is gone, never before: see Attachment.
    _libc.libc().shmdt(address)


def _unmap(address, length):
    _libc.libc().munmap(address, length)


class Attachment:
    """One attachment of a segment, seen through a memoryview of the mapped range.

    A stale view can never reach unmapped memory. detach() releases the views handed out here
    and the last of them takes the mapping with it (shmdt). A slice of them that a caller still
    holds (often only in an exception's traceback) would keep the segment attached; instead the
    segment is swapped for private zero pages in place, so the kernel sees the detach now and
    the stale slice reads zeros until it goes. Read-only attachments are mapped SHM_RDONLY and
    hand out read-only views, so a write raises TypeError instead of faulting.
    """

    def __init__(self, shmid, readonly=True):
        lib = _libc.libc()
        address = lib.shmat(shmid, None, _SHM_RDONLY if readonly else 0)
        if address is None or address == _FAILED:
            raise _libc.errno_error()
        try:
            # Stat after attaching: the attachment pins the segment this size belongs to.
            self.size = stat(shmid).shm_segsz
        except OSError:
            lib.shmdt(address)
            raise
        self.shmid = shmid
        self.readonly = readonly
        self.address = address
        mapping = (ctypes.c_char * self.size).from_address(address)
        # Every view holds the array alive; shmdt waits for the array to go.
        self._mapped = weakref.finalize(mapping, _detach_address, address)
        raw = memoryview(mapping).cast('B')
        self._raw = raw
        self.view = raw.toreadonly() if readonly else raw

    @property
    def attached(self):
        """Whether the process still maps the segment (a caller's slice may outlive detach())."""
        return self._mapped.alive

    def set_owner(self, uid, gid, mode):
        """IPC_SET owner, group and permission bits (masked to 0o777)."""
        info = stat(self.shmid)
        info.shm_perm.uid = uid
        info.shm_perm.gid = gid
        info.shm_perm.mode = mode & _PERMISSION_BITS
        if _libc.libc().shmctl(self.shmid, _IPC_SET, ctypes.addressof(info)) != 0:
            raise _libc.errno_error()

    def remove(self):
        """Mark the segment for removal; the kernel frees it at the last detach."""
        if _libc.libc().shmctl(self.shmid, _IPC_RMID, None) != 0:
            raise _libc.errno_error()

    def detach(self):
        if self._raw is None:
            return
        for view in (self.view, self._raw):
            try:
                view.release()
            except BufferError:
                # A consumer still holds this view's buffer: it is displaced below like a slice.
                pass
        self._raw = None
        if self._mapped.alive:
            self._displace()

    def _displace(self):
        """Detach from the segment while views of the mapping remain, leaving zero pages in its place.

        One mmap(MAP_FIXED) replaces the segment's pages: unlike shmdt followed by mmap, no
        other thread can map something into the range in between. The kernel counts the
        unmapping as a detach. The placeholder is unmapped when the last view goes.
        """
        pending = self._mapped.detach()
        if pending is None:
            return  # the last view went meanwhile, and shmdt with it
        mapping = pending[0]
        length = -(-self.size // _PAGE_SIZE) * _PAGE_SIZE
        protection = mmap.PROT_READ if self.readonly else mmap.PROT_READ | mmap.PROT_WRITE
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_FIXED
        if _libc.libc().mmap(self.address, length, protection, flags, -1, 0) in (None, _FAILED):
            # Still attached: detach when the last view goes, as before.
            self._mapped = weakref.finalize(mapping, _detach_address, self.address)
        else:
            weakref.finalize(mapping, _unmap, self.address, length)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.detach()
