# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""System V shared memory: listing, creating, removing, kernel limits, and the attaching backend.

Listing reads /proc/sysvipc/shm and needs no library, so facts work everywhere. Attaching goes
through one of two backends with the same Attachment interface: sysv_ipc where it is installed,
else the C library through ctypes, so a stock python3 runs every module. The environment
variable FASTRESTART_SYSV_BACKEND (ctypes or sysv_ipc) picks one for tests and operators.
"""

from __future__ import absolute_import, division, print_function

import collections
import errno
import os

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _libc
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_ctypes
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_sysvipc
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    MissingLibraryError,
    UsageError,
)

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


def writable_attachers(shmids, proc_root='/proc'):
    """Map each shmid to the pids (other than ours) that have it mapped writable.

    A read-only attachment (SHM_RDONLY) can never be made writable, so only these could
    change a segment while we copy it; the permissions are the second column of the maps.
    """
    wanted = set(shmids)
    found = dict((shmid, []) for shmid in wanted)
    attached = attaching_pids(wanted, proc_root)
    for pid in sorted(set(p for pids in attached.values() for p in pids)):
        if pid == os.getpid():
            continue
        try:
            with open(os.path.join(proc_root, str(pid), 'maps')) as handle:
                maps = handle.read()
        except (IOError, OSError):
            continue
        for line in maps.splitlines():
            fields = line.split()
            if len(fields) >= 6 and '/SYSV' in line and 'w' in fields[1] and fields[4].isdigit() \
                    and int(fields[4]) in wanted and pid not in found[int(fields[4])]:
                found[int(fields[4])].append(pid)
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
    shmid = _libc.libc().shmget(_signed(key), size, _IPC_CREAT | _IPC_EXCL | NEW_SEGMENT_MODE)
    if shmid < 0:
        raise _libc.errno_error()
    return shmid


def start_writeback(fd, offset, length):
    """Start writing a range of a file to disk now, without waiting for it.

    The page cache holds a whole backup before the kernel would flush it, so the final fsync
    would write everything while the CPU waits; started chunk by chunk, the disk works while
    the next chunks are copied or deflated. Best effort: fsync still makes the file durable.
    """
    libc = _libc.libc()
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
    return _libc.libc().madvise(start, length + address - start, advice) == 0


BACKEND_ENV = 'FASTRESTART_SYSV_BACKEND'
_BACKENDS = {_sysv_sysvipc.NAME: _sysv_sysvipc, _sysv_ctypes.NAME: _sysv_ctypes}


def backend():
    """The module that attaches segments: sysv_ipc where installed, else ctypes; or what BACKEND_ENV names.

    Read at every call, so that the environment alone switches it (the tests run every core
    test with each); a wrong setting raises ShmError when something needs to attach, never
    when only listing.
    """
    wanted = os.environ.get(BACKEND_ENV, '').strip()
    if not wanted:
        if _sysv_sysvipc.HAS_SYSV_IPC:
            return _sysv_sysvipc
        unsupported = _sysv_ctypes.unsupported()
        if unsupported:
            raise MissingLibraryError('sysv_ipc', _sysv_sysvipc.IMPORT_ERROR,
                                      reason='the C library backend cannot run here: %s' % unsupported)
        return _sysv_ctypes
    if wanted not in _BACKENDS:
        raise UsageError('%s=%s names no System V backend: use %s, or unset it'
                         % (BACKEND_ENV, wanted, ' or '.join(sorted(_BACKENDS))), backend=wanted)
    if wanted == _sysv_sysvipc.NAME and not _sysv_sysvipc.HAS_SYSV_IPC:
        raise MissingLibraryError('sysv_ipc', _sysv_sysvipc.IMPORT_ERROR,
                                  reason='%s=sysv_ipc asks for it; unset it to use the C library through ctypes'
                                  % BACKEND_ENV)
    if wanted == _sysv_ctypes.NAME and _sysv_ctypes.unsupported():
        raise UsageError('%s=ctypes cannot run here: %s' % (BACKEND_ENV, _sysv_ctypes.unsupported()), backend=wanted)
    return _BACKENDS[wanted]


def backend_name():
    """'sysv_ipc' or 'ctypes': the backend attach() uses now."""
    return backend().NAME


def attach(shmid, readonly=True):
    """Attach a segment through the backend.

    The Attachment has .view (a memoryview, read-only for read-only attachments), .size,
    .address, .readonly, .shmid, .attached, set_owner(uid, gid, mode), remove(), detach(), and
    works as a context manager. Errors are OSError with the kernel's errno whatever the backend.
    """
    return backend().Attachment(shmid, readonly)


# The name the core and the benchmark have always constructed attachments by.
Attachment = attach


def read_prefix(shmid, length):
    """Copy the first length bytes of a segment (a header) through a brief read-only attach."""
    with attach(shmid, readonly=True) as attachment:
        return bytes(attachment.view[:min(length, attachment.size)])


def remove_segment(shmid):
    """IPC_RMID by shmid, without attaching; a segment already gone is not an error."""
    if _libc.libc().shmctl(shmid, _IPC_RMID, None) == 0:
        return True
    error = _libc.errno_error()
    if error.errno in (errno.EINVAL, errno.EIDRM):
        return False
    raise error


def strerror(code):
    """errno text as ASMT prints it: 'error was 17: File exists.'"""
    return 'error was %d: %s.' % (code, os.strerror(code)) if code else ''
