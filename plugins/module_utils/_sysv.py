# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""System V shared memory: listing, attaching, creating, removing; kernel limits.

This is the only file that imports sysv_ipc. Listing reads /proc/sysvipc/shm and needs no
library, so facts and analysis work everywhere; attaching needs sysv_ipc.
"""

from __future__ import absolute_import, division, print_function

import collections
import ctypes
import ctypes.util
import errno
import os
import traceback

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    MissingLibraryError,
)

try:
    import sysv_ipc
except ImportError:
    sysv_ipc = None
    HAS_SYSV_IPC = False
    SYSV_IPC_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_SYSV_IPC = True
    SYSV_IPC_IMPORT_ERROR = None

__metaclass__ = type

PROC_SHM = '/proc/sysvipc/shm'
PROC_KERNEL = '/proc/sys/kernel'
MEMINFO = '/proc/meminfo'
MODE_MASK = 0o777
NEW_SEGMENT_MODE = 0o600

_IPC_CREAT = 0o1000
_IPC_EXCL = 0o2000
_IPC_RMID = 0
_MADV_POPULATE_READ = 22
_SYNC_FILE_RANGE_WRITE = 2
_PAGE_SIZE = os.sysconf('SC_PAGE_SIZE')
_MADV_POPULATE_WRITE = 23
_SHM_FIELDS = ('key', 'shmid', 'perms', 'size', 'cpid', 'lpid', 'nattch', 'uid', 'gid',
               'cuid', 'cgid', 'atime', 'dtime', 'ctime')


class ShmEntry(collections.namedtuple('ShmEntry', _SHM_FIELDS)):
    """One line of /proc/sysvipc/shm, with the key as an unsigned 32-bit value."""

    __slots__ = ()

    @property
    def mode(self):
        """Permission bits only; perms may also carry SHM_DEST (01000) and SHM_LOCKED (02000)."""
        return self.perms & MODE_MASK


def require_sysv_ipc():
    """Raise MissingLibraryError unless sysv_ipc can be imported."""
    if not HAS_SYSV_IPC:
        raise MissingLibraryError('sysv_ipc', SYSV_IPC_IMPORT_ERROR)


def list_segments(proc_path=PROC_SHM):
    """Every segment of this IPC namespace, whatever its permissions, attached or not."""
    entries = []
    with open(proc_path) as handle:
        lines = handle.read().splitlines()
    for line in lines[1:]:
        fields = line.split()
        if len(fields) < len(_SHM_FIELDS):
            continue
        values = [int(fields[0]) & 0xFFFFFFFF, int(fields[1]), int(fields[2], 8)]
        values.extend(int(v) for v in fields[3:len(_SHM_FIELDS)])
        entries.append(ShmEntry(*values))
    return entries


def attaching_pids(shmids, proc_root='/proc'):
    """Map each shmid to the pids that have it mapped, read from /proc/<pid>/maps.

    /proc/sysvipc/shm only names the last pid that attached or detached; the maps name
    every process that holds the segment now. A System V mapping shows as /SYSV<key> with
    the shmid in the inode column.
    """
    wanted = set(shmids)
    found = dict((shmid, []) for shmid in wanted)
    if not wanted:
        return found
    # shmids are per IPC namespace: a process of another namespace (a container) may map an
    # unrelated segment with the same shmid.
    try:
        own_ipc = os.readlink(os.path.join(proc_root, 'self', 'ns', 'ipc'))
    except OSError:
        own_ipc = None
    for name in os.listdir(proc_root):
        if not name.isdigit():
            continue
        try:
            if own_ipc is not None and os.readlink(os.path.join(proc_root, name, 'ns', 'ipc')) != own_ipc:
                continue
        except OSError:
            continue
        try:
            with open(os.path.join(proc_root, name, 'maps')) as handle:
                maps = handle.read()
        except (IOError, OSError):
            continue
        seen = set()
        for line in maps.splitlines():
            if '/SYSV' not in line:
                continue
            fields = line.split()
            if len(fields) < 6:
                continue
            try:
                inode = int(fields[4])
            except ValueError:
                continue
            if inode in wanted and inode not in seen:
                seen.add(inode)
                found[inode].append(int(name))
    for pids in found.values():
        pids.sort()
    return found


def mem_available(meminfo=MEMINFO):
    """MemAvailable in bytes, or None when the kernel does not report it."""
    try:
        with open(meminfo) as handle:
            for line in handle:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except (IOError, OSError):
        pass
    return None


def read_limit(name, proc_kernel=PROC_KERNEL):
    """A kernel.shm* limit as an integer (they are per IPC namespace)."""
    with open(os.path.join(proc_kernel, name)) as handle:
        return int(handle.read().split()[0])


def kernel_limits(proc_kernel=PROC_KERNEL):
    """shmmax (bytes), shmall (pages), shmmni (segments) and the page size."""
    return {
        'shmmax': read_limit('shmmax', proc_kernel),
        'shmall': read_limit('shmall', proc_kernel),
        'shmmni': read_limit('shmmni', proc_kernel),
        'page_size': os.sysconf('SC_PAGE_SIZE'),
    }


def pages(size, page_size):
    """Pages the kernel charges against shmall for one segment."""
    return (size + page_size - 1) // page_size


_libc = None


def _c_library():
    global _libc  # pylint: disable=global-statement
    if _libc is None:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
        libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
        libc.shmget.restype = ctypes.c_int
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        libc.madvise.restype = ctypes.c_int
        libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        libc.shmctl.restype = ctypes.c_int
        if hasattr(libc, 'sync_file_range'):
            libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            libc.sync_file_range.restype = ctypes.c_int
        _libc = libc
    return _libc


def _signed(key):
    key &= 0xFFFFFFFF
    return key - (1 << 32) if key >= 1 << 31 else key


def create_segment(key, size):
    """Create a new segment exclusively with mode 0600 and return its shmid.

    shmget is called directly: sysv_ipc fills every new segment with init_character, a
    full extra pass over memory that the kernel's own zero-fill makes unnecessary. Raises
    OSError with the kernel's errno (EEXIST, EINVAL above shmmax, ENOSPC over shmall or
    shmmni, ENOMEM).
    """
    libc = _c_library()
    shmid = libc.shmget(_signed(key), size, _IPC_CREAT | _IPC_EXCL | NEW_SEGMENT_MODE)
    if shmid < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return shmid


def start_writeback(fd, offset, length):
    """Start writing a range of a file to disk now, without waiting for it.

    The page cache holds a whole backup before the kernel would flush it, so the final fsync
    would write everything while the CPU waits; started chunk by chunk, the disk works while
    the next chunks are copied or deflated. Best effort: fsync still makes the file durable.
    """
    libc = _c_library()
    if length > 0 and hasattr(libc, 'sync_file_range'):
        libc.sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def populate(address, length, write=True):
    """Ask the kernel to allocate pages for a range now, in bulk, before writing into it.

    Page faults one by one cost more than twice as much on first touch. Best effort: older
    kernels lack MADV_POPULATE_WRITE and then the pages fault in as usual. write=False maps
    a range that is only going to be read (a backup's source), which halves its cost too.
    """
    if length <= 0:
        return False
    # madvise wants a page-aligned start; the partial page before it is populated too.
    start = address - address % _PAGE_SIZE
    advice = _MADV_POPULATE_WRITE if write else _MADV_POPULATE_READ
    return _c_library().madvise(start, length + address - start, advice) == 0


class Attachment:
    """One attachment of a segment, with a memoryview that is released before detaching.

    sysv_ipc lets detach() succeed while views are alive and a later access then crashes the
    process; and a read-only attachment still reports a writable buffer. Views handed out
    here are read-only for read-only attachments, so a mistake raises instead of crashing.
    """

    def __init__(self, shmid, readonly=True):
        require_sysv_ipc()
        flags = sysv_ipc.SHM_RDONLY if readonly else 0
        self.readonly = readonly
        self.memory = sysv_ipc.attach(shmid, None, flags)
        self.shmid = shmid
        self.size = self.memory.size
        view = memoryview(self.memory)
        self.view = view.toreadonly() if readonly else view
        self._raw = view

    @property
    def address(self):
        return self.memory.address

    def set_owner(self, uid, gid, mode):
        """IPC_SET owner, group and permission bits (masked to 0o777)."""
        self.memory.uid = uid
        self.memory.gid = gid
        self.memory.mode = mode & MODE_MASK

    def remove(self):
        """Mark the segment for removal; the kernel frees it at the last detach."""
        self.memory.remove()

    def detach(self):
        if self.memory is None:
            return
        if self.view is not self._raw:
            self.view.release()
        self._raw.release()
        self.memory.detach()
        self.memory = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.detach()


def read_prefix(shmid, length):
    """Copy the first length bytes of a segment (a header) through a brief read-only attach."""
    with Attachment(shmid, readonly=True) as attachment:
        return bytes(attachment.view[:min(length, attachment.size)])


def remove_segment(shmid):
    """IPC_RMID by shmid, without attaching; a segment already gone is not an error."""
    libc = _c_library()
    if libc.shmctl(shmid, _IPC_RMID, None) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.EIDRM):
        return False
    raise OSError(code, os.strerror(code))


def strerror(code):
    """errno text as ASMT prints it: 'error was 17: File exists.'"""
    return 'error was %d: %s.' % (code, os.strerror(code)) if code else ''
