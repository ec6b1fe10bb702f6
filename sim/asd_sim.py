#!/bin/sh
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# A host runs a verbatim copy as /usr/bin/asd: sh runs the exec line below, Python reads it as the
# start of the docstring. (ansible-test's shebang rule refuses #!/usr/bin/python3 outside modules,
# and the hosts have no /usr/bin/python.)
""":"
exec /usr/bin/python3 "$0" "$@"
":"

A stand-in for Aerospike's ``asd`` that owns real System V shared-memory index segments.

It is the independent party that checks the collection's core: it never imports anything from
``plugins/`` and builds segments from the layout facts of docs/asmt-format (sections 1, 2 and 14.4)
through its own ctypes calls into libc (standard library only: the hosts' python3 has no sysv_ipc).
See sim/README.md, section "asd simulator", for the commands and for Aerospike's own command line
(``asd --config-file FILE --fgdaemon``), which runs it as systemd's aerospike.service.

The one rule it models: a start is warm only when every segment the last clean stop left is there,
unattached, with the same size and CRC-32, and the base segment says "clean shutdown". Anything
else is a cold start that rebuilds the index, taking time in proportion to its size.
"""

from __future__ import absolute_import, division, print_function

import argparse
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import random
import re
import signal
import struct
import sys
import time
import zlib

__metaclass__ = type

PRIMARY, SECONDARY, DATA = 0xAE, 0xA2, 0xAD
TYPE_NAMES = {PRIMARY: 'primary', SECONDARY: 'secondary', DATA: 'data'}
STAGE_BASE = 0x100
MAX_STAGES = 0x800
MAX_STRIPES = 128
RECORD = 64
BASE_VERSION_AT, SHUTDOWN_AT, NAME_AT, N_ARENAS_AT = 0, 4, 1024, 2152
META_N_ARENAS_AT = 20
DATA_NAME_AT = 12
NAME_LEN = 32

DEFAULT_STATE_DIR = '/var/lib/asd-sim'
SYSCONFIG = '/etc/sysconfig/aerospike'  # the unit's EnvironmentFile; $ASD_SIM_SYSCONFIG overrides the path
DEFAULT_CONFIG_FILE = '/etc/aerospike/aerospike.conf'
CONSOLE = None  # the console log sink: stdout, which systemd hands to the journal
DEFAULT_BUILD = '7.1.0.0'
DEFAULT_BASE_VERSION = 12
# 200 MiB/s: a 1 GiB index takes about 5 s to rebuild, long enough to tell cold from warm.
DEFAULT_COLD_RATE = 200 << 20
DEFAULT_STAGE_SIZE = 1 << 30  # Aerospike's default index-stage-size
DEFAULT_BASE_SIZE = 64 << 10
DEFAULT_META_SIZE = 4096
DEFAULT_SINDEX_STAGE_SIZE = 1 << 20
DEFAULT_STRIPE_SIZE = 1 << 20
DEFAULT_STOP_TIMEOUT = 120.0
WRITES_PER_START = 8
PIECE = 1024 * RECORD  # content is laid out in 64 KiB pieces drawn from a random pool
POOL_MAX = 16 << 20
MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')


class SimError(Exception):
    """A command cannot do what was asked; the message says why and what to do."""


class _Terminated(BaseException):
    """SIGTERM/SIGINT arrived before startup completed (raised from the signal handler)."""


# ----------------------------------------------------------------------------------------------
# keys and the kernel's view of segments

def make_key(type_byte, instance, nsid, sub):
    return (type_byte << 24) | (instance << 20) | (nsid << 12) | sub


def split_key(key):
    key &= 0xFFFFFFFF
    return key >> 24, (key >> 20) & 0xF, (key >> 12) & 0xFF, key & 0xFFF


def key_hex(key):
    return '%08x' % (key & 0xFFFFFFFF)


def list_segments():
    """{key: {shmid, size, nattch, uid, gid, mode}} for every keyed segment, from /proc/sysvipc/shm."""
    out = {}
    with open('/proc/sysvipc/shm') as handle:
        lines = handle.read().splitlines()
    for line in lines[1:]:
        f = line.split()
        key = int(f[0]) & 0xFFFFFFFF
        if key == 0:
            continue  # IPC_PRIVATE segments share key 0 and are never Aerospike's
        out[key] = {'shmid': int(f[1]), 'mode': int(f[2], 8) & 0o777, 'size': int(f[3]),
                    'nattch': int(f[6]), 'uid': int(f[7]), 'gid': int(f[8])}
    return out


def instance_segments(instance, nsids=None, segments=None):
    """Aerospike segments of one instance (optionally only these namespace ids)."""
    segments = list_segments() if segments is None else segments
    out = {}
    for key, info in segments.items():
        type_byte, inst, nsid, _sub = split_key(key)
        if type_byte in TYPE_NAMES and inst == instance and (nsids is None or nsid in nsids):
            out[key] = info
    return out


# System V shared memory through libc: shmget, shmat, shmdt and shmctl (IPC_STAT, IPC_SET, IPC_RMID).

IPC_CREAT, IPC_EXCL, SHM_RDONLY = 0o1000, 0o2000, 0o10000
IPC_RMID, IPC_SET, IPC_STAT = 0, 1, 2
PR_SET_NAME = 15
MADV_POPULATE_READ, MADV_POPULATE_WRITE = 22, 23
_LIBC = []


class _IpcPerm(ctypes.Structure):
    """struct ipc64_perm (asm-generic/ipcbuf.h), the layout of x86_64 and aarch64 alike: 48 bytes."""
    _fields_ = [('key', ctypes.c_int), ('uid', ctypes.c_uint), ('gid', ctypes.c_uint), ('cuid', ctypes.c_uint),
                ('cgid', ctypes.c_uint), ('mode', ctypes.c_uint), ('seq', ctypes.c_ushort),
                ('pad2', ctypes.c_ushort), ('unused1', ctypes.c_ulong), ('unused2', ctypes.c_ulong)]


class _ShmidDs(ctypes.Structure):
    """struct shmid64_ds of 64-bit Linux (x86_64 asm/shmbuf.h, aarch64 asm-generic/shmbuf.h): 112 bytes.
    glibc passes it to the kernel unchanged on both."""
    _fields_ = [('perm', _IpcPerm), ('segsz', ctypes.c_size_t), ('atime', ctypes.c_long),
                ('dtime', ctypes.c_long), ('ctime', ctypes.c_long), ('cpid', ctypes.c_int),
                ('lpid', ctypes.c_int), ('nattch', ctypes.c_ulong), ('unused4', ctypes.c_ulong),
                ('unused5', ctypes.c_ulong)]


def _libc():
    if not _LIBC:
        if ctypes.sizeof(ctypes.c_void_p) != 8 or ctypes.sizeof(_ShmidDs) != 112:
            raise SimError('this simulator knows the System V structures of 64-bit Linux only (x86_64, aarch64)')
        libc = ctypes.CDLL(None, use_errno=True)
        for name, args, result in (('shmget', [ctypes.c_int, ctypes.c_size_t, ctypes.c_int], ctypes.c_int),
                                   ('shmat', [ctypes.c_int, ctypes.c_void_p, ctypes.c_int], ctypes.c_void_p),
                                   ('shmdt', [ctypes.c_void_p], ctypes.c_int),
                                   ('shmctl', [ctypes.c_int, ctypes.c_int, ctypes.c_void_p], ctypes.c_int),
                                   ('madvise', [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int),
                                   ('prctl', [ctypes.c_int, ctypes.c_char_p], ctypes.c_int)):
            function = getattr(libc, name)
            function.argtypes, function.restype = args, result
        _LIBC.append(libc)
    return _LIBC[0]


def _errno_error(what):
    err = ctypes.get_errno()
    return OSError(err, '%s: %s' % (what, os.strerror(err)))


def _c_key(key):
    """key_t is a signed int: keys 0x80000000 and up are negative to libc."""
    return key - (1 << 32) if key >= 1 << 31 else key


def shm_stat(shmid):
    """shmctl(IPC_STAT): the segment's _ShmidDs."""
    info = _ShmidDs()
    if _libc().shmctl(shmid, IPC_STAT, ctypes.addressof(info)) < 0:
        raise _errno_error('shmctl(%d, IPC_STAT)' % shmid)
    return info


def shm_set_owner(shmid, uid, gid):
    """shmctl(IPC_SET) of the owner, keeping the mode."""
    info = shm_stat(shmid)
    info.perm.uid, info.perm.gid = uid, gid
    if _libc().shmctl(shmid, IPC_SET, ctypes.addressof(info)) < 0:
        raise _errno_error('shmctl(%d, IPC_SET)' % shmid)


def shm_remove(shmid):
    """shmctl(IPC_RMID): True when removed, False when it was already gone."""
    if _libc().shmctl(shmid, IPC_RMID, None) < 0:
        error = _errno_error('shmctl(%d, IPC_RMID)' % shmid)
        if error.errno not in (errno.EINVAL, errno.EIDRM):
            raise error
        return False
    return True


def shm_get(key, size=0, flags=0):
    """shmget; OSError with errno EEXIST or ENOENT as the kernel says."""
    shmid = _libc().shmget(_c_key(key), size, flags)
    if shmid < 0:
        raise _errno_error('shmget(0x%s, %d)' % (key_hex(key), size))
    return shmid


class Segment:
    """One attachment of a segment (the part of sysv_ipc.SharedMemory this simulator needs)."""

    def __init__(self, shmid, readonly=False):
        self.shmid = shmid
        self.size = shm_stat(shmid).segsz
        address = _libc().shmat(shmid, None, SHM_RDONLY if readonly else 0)
        if address is None or address == (1 << 64) - 1:
            raise _errno_error('shmat(%d)' % shmid)
        self.address = address
        self.readonly = readonly

    @classmethod
    def by_key(cls, key):
        return cls(shm_get(key))

    def view(self):
        """A memoryview of the whole segment; release it (``with``) before detach()."""
        view = memoryview((ctypes.c_ubyte * self.size).from_address(self.address)).cast('B')
        return view.toreadonly() if self.readonly else view

    def _bounds(self, offset, length):
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ValueError('%d bytes at %d are outside a segment of %d bytes' % (length, offset, self.size))

    def read(self, length=0, offset=0):
        length = length or self.size - offset
        self._bounds(offset, length)
        return ctypes.string_at(self.address + offset, length)

    def write(self, data, offset=0):
        self._bounds(offset, len(data))
        ctypes.memmove(self.address + offset, data, len(data))

    def detach(self):
        if self.address is not None:
            _libc().shmdt(self.address)
            self.address = None


def _remove_key(key):
    try:
        shm_remove(list_segments()[key]['shmid'])
    except KeyError:
        pass


def populate(memory, write=False):
    """Map a whole attachment at once (Linux 5.14+): page faults one by one cost ~1 s per 256 MiB on a VM."""
    _libc().madvise(memory.address, memory.size, MADV_POPULATE_WRITE if write else MADV_POPULATE_READ)
    # only an optimisation: where it fails, the first access maps pages one fault at a time


def set_process_name(name):
    """prctl(PR_SET_NAME): /proc/PID/comm reads 'asd' like the real server's, for pgrep -x asd."""
    _libc().prctl(PR_SET_NAME, name.encode('ascii'))


def create_segment(key, size, mode):
    """shmget(IPC_CREAT|IPC_EXCL|mode) and attach; the kernel hands out zeroed pages."""
    try:
        return Segment(shm_get(key, size, IPC_CREAT | IPC_EXCL | mode))
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        raise SimError('shmget(0x%s, %d) failed: %s; check kernel.shmmax/shmall and free memory'
                       % (key_hex(key), size, os.strerror(exc.errno)))


def segment_crc(shmid):
    """CRC-32 of a segment's bytes; attaches read-only for the duration of the read."""
    memory = Segment(shmid, readonly=True)
    populate(memory)
    try:
        with memory.view() as view:
            return zlib.crc32(view) & 0xFFFFFFFF
    finally:
        memory.detach()


# ----------------------------------------------------------------------------------------------
# content: 64-byte index records like Aerospike's as_index

# Per byte of a record: (fixed bits, random-bit mask). Random bits stand for the fields that differ
# between records (digest, tree handles, times, storage address); fixed bits for the rest. The mix
# gives gzip level 1 the 15-30 % saving seen on real primary indexes.
_RECORD_LAYOUT = (
    [(0x01, 0x00), (0x00, 0x00)]                      # rc
    + [(0x00, 0x7F)]                                  # tree id / colour bits
    + [(0x00, 0xFF), (0x00, 0xFF), (0x00, 0x07), (0x00, 0x00), (0x00, 0x00)] * 2  # left_h, right_h
    + [(0x00, 0xFF)] * 20                             # keyd: RIPEMD-160 digest
    + [(0x00, 0x07)]                                  # set id bits
    + [(0x00, 0x0F), (0x00, 0x00)]                    # generation
    + [(0x00, 0xFF), (0x00, 0xFF), (0x30, 0x0F), (0x19, 0x00)]  # void_time
    + [(0x00, 0xFF), (0x00, 0xFF), (0x00, 0xFF), (0xB2, 0x01), (0x01, 0x00)]  # last_update_time
    + [(0x00, 0x03), (0x00, 0x00), (0x00, 0x00)]      # flags
    + [(0x00, 0xFF), (0x00, 0xFF), (0x00, 0xFF), (0x00, 0x07), (0x00, 0x00), (0x00, 0x03), (0x00, 0x00),
       (0x00, 0x00)]                                  # rblock_id, n_rblocks, file_id
    + [(0x00, 0xC0), (0x00, 0xFF), (0x1F, 0x07), (0x50, 0x00), (0x7F, 0x00), (0x00, 0x00), (0x00, 0x00),
       (0x00, 0x00)]                                  # in-memory pointer
)
assert len(_RECORD_LAYOUT) == RECORD


def record_pool(rng, records):
    """A block of index records built with whole-buffer integer operations (no per-record loop)."""
    size = records * RECORD
    fixed = bytes(f & ~m & 0xFF for f, m in _RECORD_LAYOUT) * records
    mask = bytes(m for _f, m in _RECORD_LAYOUT) * records
    noise = int.from_bytes(_randbytes(rng, size), 'little')
    value = (noise & int.from_bytes(mask, 'little')) | int.from_bytes(fixed, 'little')
    return value.to_bytes(size, 'little')


def _randbytes(rng, size):
    if hasattr(rng, 'randbytes'):
        return rng.randbytes(size)
    return rng.getrandbits(size * 8).to_bytes(size, 'little')


class Filler:
    """Fills segments with index records, in 64 KiB pieces of a random pool.

    The pool is as large as what is to be filled, up to POOL_MAX, and its pieces are used in a
    shuffled order without repeats until all were used: every record (and digest) of a set of up
    to 16 MiB appears once. Bigger sets reuse pieces at distances far beyond deflate's 32 KiB
    window, so compression sees no difference. Each piece also gets a stamp (in the digest of its
    first record) from the segment key and piece index, so no two pieces are equal and a misplaced
    piece changes the CRC.
    """

    def __init__(self, seed, total=POOL_MAX):
        self.seed = seed
        self.rng = random.Random(seed)
        pieces = max(4, min(POOL_MAX, total) // PIECE + 1)
        self.pool = memoryview(record_pool(self.rng, pieces * PIECE // RECORD))
        self.order = []

    def _next_piece(self):
        if not self.order:
            self.order = list(range(len(self.pool) // PIECE))
            self.rng.shuffle(self.order)
        return self.order.pop() * PIECE

    def fill(self, view, key):
        """Write pool content over the whole view (a writable memoryview of a segment)."""
        size = len(view)
        index = offset = 0
        while offset < size:
            length = min(PIECE, size - offset)
            src = self._next_piece()
            view[offset:offset + length] = self.pool[src:src + length]
            if length >= 29:
                view[offset + 13:offset + 29] = hashlib.blake2b(b'%d:%d:%d' % (self.seed, key, index),
                                                                digest_size=16).digest()
            offset += length
            index += 1


# ----------------------------------------------------------------------------------------------
# geometry

def namespace_layout(ns):
    """[(key, size, role)] of one namespace's segments, base first, in creation order."""
    instance, nsid = ns['instance'], ns['nsid']
    out = [(make_key(PRIMARY, instance, nsid, 0), ns['base_size'], 'base'),
           (make_key(PRIMARY, instance, nsid, 1), ns['treex_size'], 'treex')]
    out += [(make_key(PRIMARY, instance, nsid, STAGE_BASE + i), ns['stage_size'], 'pi-stage')
            for i in range(ns['stages'])]
    if ns['sindex_stages']:
        out.append((make_key(SECONDARY, instance, nsid, 0), ns['meta_size'], 'si-meta'))
        out += [(make_key(SECONDARY, instance, nsid, STAGE_BASE + i), ns['sindex_stage_size'], 'si-stage')
                for i in range(ns['sindex_stages'])]
    out += [(make_key(DATA, instance, nsid, i), ns['stripe_size'], 'data') for i in range(ns['stripes'])]
    return out


def _round_page(size):
    return max(4096, (size + 4095) // 4096 * 4096)


def parse_version(value):
    """--version: a base layout version (10..12) or a server build such as 7.1.0.0."""
    text = str(value).strip()
    if '.' in text:
        try:
            major = int(text.split('.', 1)[0])
        except ValueError:
            raise SimError('--version %r: give a base segment version 10-12 or a build like 7.1.0.0' % text)
        return (12 if major >= 7 else 11 if major >= 6 else 10), text
    try:
        version = int(text)
    except ValueError:
        raise SimError('--version %r: give a base segment version 10-12 or a build like 7.1.0.0' % text)
    if not 10 <= version <= 12:
        raise SimError('--version %d: base segment versions ASMT accepts are 10, 11 and 12' % version)
    return version, None


def plan_namespaces(instance, names, size, stages=None, sindex_stages=0, stripes=0, version=DEFAULT_BASE_VERSION,
                    uid=0, gid=0, mode=0o666, stripe_size=DEFAULT_STRIPE_SIZE,
                    sindex_stage_size=DEFAULT_SINDEX_STAGE_SIZE, base_size=DEFAULT_BASE_SIZE, treex_size=None):
    """Validate arguments and return the per-namespace geometry kept in the state file."""
    if not 0 <= instance <= 15:
        raise SimError('--instance %d: Aerospike instances are 0-15' % instance)
    if not names:
        raise SimError('give at least one --namespace')
    if len(names) > 32:
        raise SimError('%d namespaces: a server has at most 32 (namespace ids 1-32)' % len(names))
    if len(set(names)) != len(names):
        raise SimError('namespace names repeat in %s: each --namespace must be different' % ', '.join(names))
    for name in names:
        raw = name.encode('utf-8')
        if not raw or len(raw) > NAME_LEN - 1 or b'\0' in raw:
            raise SimError('namespace name %r: use 1-31 bytes without NUL' % name)
    if size < RECORD:
        raise SimError('--size %d: the primary index needs at least %d bytes' % (size, RECORD))
    if stages is None:
        stages = max(1, -(-size // DEFAULT_STAGE_SIZE))
    if not 1 <= stages <= MAX_STAGES:
        raise SimError('--stages %d: primary stages are 1-%d (sub-keys 0x100-0x8ff)' % (stages, MAX_STAGES))
    if not 0 <= sindex_stages <= MAX_STAGES:
        raise SimError('--sindex-stages %d: use 0-%d' % (sindex_stages, MAX_STAGES))
    if not 0 <= stripes <= MAX_STRIPES:
        raise SimError('--stripes %d: use 0-%d (ASMT handles at most 128 data stripes)' % (stripes, MAX_STRIPES))
    if not 10 <= version <= 12:
        raise SimError('base version %d: ASMT accepts 10-12' % version)
    if not 0 <= mode <= 0o777:
        raise SimError('--mode %o: give permission bits such as 0666' % mode)
    stage_size = _round_page(-(-size // stages))
    if treex_size is None:
        treex_size = min(64 << 20, max(64 << 10, _round_page(size // 64)))
    out = []
    for position, name in enumerate(names):
        out.append({'name': name, 'instance': instance, 'nsid': position + 1, 'version': version,
                    'base_size': max(_round_page(base_size), 4096), 'treex_size': _round_page(treex_size),
                    'stages': stages, 'stage_size': stage_size,
                    'sindex_stages': sindex_stages, 'meta_size': DEFAULT_META_SIZE,
                    'sindex_stage_size': _round_page(sindex_stage_size),
                    'stripes': stripes, 'stripe_size': max(_round_page(stripe_size), 4096),
                    'uid': uid, 'gid': gid, 'mode': mode})
    return out


def _name_field(name):
    raw = name.encode('utf-8')
    return raw + b'\0' * (NAME_LEN - len(raw))


def build_namespace(ns, filler, shutdown):
    """Create every segment of one namespace (IPC_CREAT|IPC_EXCL) and fill it; returns the fingerprint.

    Everything is detached on return, as after a clean shutdown; the caller re-attaches to run.
    """
    made = []
    fingerprint = {}
    try:
        for key, size, role in namespace_layout(ns):
            try:
                memory = create_segment(key, size, ns['mode'])
            except OSError:  # EEXIST; create_segment says other failures as a SimError
                raise SimError('segment 0x%s already exists: run "asd_sim.py destroy --instance %d" (or ipcrm) '
                               'first' % (key_hex(key), ns['instance']))
            made.append(key)
            try:
                populate(memory, write=True)
                if (ns['uid'], ns['gid']) != (os.geteuid(), os.getegid()):
                    shm_set_owner(memory.shmid, ns['uid'], ns['gid'])
                with memory.view() as view:
                    filler.fill(view, key)
                    _write_header(view, ns, role, shutdown)
                    fingerprint[key_hex(key)] = {'size': size, 'crc': zlib.crc32(view) & 0xFFFFFFFF}
            finally:
                memory.detach()
    except BaseException:
        for key in made:
            _remove_key(key)
        raise
    return fingerprint


def _write_header(view, ns, role, shutdown):
    if role == 'base':
        view[0:8] = struct.pack('<II', ns['version'], shutdown)
        view[NAME_AT:NAME_AT + NAME_LEN] = _name_field(ns['name'])
        view[N_ARENAS_AT:N_ARENAS_AT + 4] = struct.pack('<I', ns['stages'])
    elif role == 'si-meta':
        view[0:META_N_ARENAS_AT + 4] = bytes(META_N_ARENAS_AT) + struct.pack('<I', ns['sindex_stages'])
    elif role == 'data':
        view[0:DATA_NAME_AT] = struct.pack('<III', 1, ns['nsid'], 0)
        view[DATA_NAME_AT:DATA_NAME_AT + NAME_LEN] = _name_field(ns['name'])


# ----------------------------------------------------------------------------------------------
# state files

def state_path(state_dir, instance):
    return os.path.join(state_dir, 'instance-%d.json' % instance)


def default_state_dir():
    return setting('ASD_SIM_STATE') or DEFAULT_STATE_DIR


def read_sysconfig(path=None):
    """{KEY: VALUE} of the host's /etc/sysconfig/aerospike ($ASD_SIM_SYSCONFIG), {} when there is none.

    KEY=VALUE lines as systemd's EnvironmentFile reads them: blank lines and # comments are skipped,
    an optional 'export ' is dropped, one pair of surrounding quotes is removed.
    """
    path = path or os.environ.get('ASD_SIM_SYSCONFIG') or SYSCONFIG
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError):
        return {}
    out = {}
    for line in lines:
        line = line.strip()
        if line.startswith('export '):
            line = line[len('export '):].lstrip()
        name, equals, value = line.partition('=')
        name, value = name.strip(), value.strip()
        if not equals or not name or name.startswith('#'):
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        out[name] = value
    return out


def setting(name, default=None):
    """An ASD_SIM_* setting: from the environment, else from the host's settings file, else default."""
    value = os.environ.get(name) or read_sysconfig().get(name)
    return value if value else default


def float_setting(name, default, minimum=0.0):
    value = setting(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise SimError('%s=%r: give a number of at least %g' % (name, value, minimum))
    return number


def load_state(state_dir, instance, required=True):
    try:
        with open(state_path(state_dir, instance)) as handle:
            return json.load(handle)
    except IOError as exc:
        if exc.errno != errno.ENOENT:
            raise
    if required:
        raise SimError('no simulated server for instance %d in %s: run "asd_sim.py create --instance %d '
                       '--namespace NAME --size BYTES --state-dir %s" first'
                       % (instance, state_dir, instance, state_dir))
    return None


class _Locked:
    """Serialises read-modify-write of one instance's state file between the CLI and the daemon."""

    def __init__(self, state_dir, instance):
        self.path = os.path.join(state_dir, '.instance-%d.lock' % instance)
        self.handle = None

    def __enter__(self):
        _ensure_dir(os.path.dirname(self.path))
        self.handle = open(self.path, 'a')
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.handle.close()


def save_state(state_dir, instance, state):
    path = state_path(state_dir, instance)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
        handle.write('\n')
    os.rename(tmp, path)


def update_state(state_dir, instance, change):
    """Apply change(state) under the lock and save; returns the new state."""
    with _Locked(state_dir, instance):
        state = load_state(state_dir, instance)
        change(state)
        save_state(state_dir, instance, state)
        return state


def _ensure_dir(path):
    if path and not os.path.isdir(path):
        os.makedirs(path)


# ----------------------------------------------------------------------------------------------
# processes

def _proc_stat(pid):
    """(state letter, start time in clock ticks) of a pid, or None if there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    fields = text[text.rindex(')') + 2:].split()
    return fields[0], int(fields[19])


def daemon_pid(state):
    """The pid of the instance's live daemon, or None (dead, a zombie or a reused pid)."""
    daemon = (state or {}).get('daemon') or {}
    pid = daemon.get('pid')
    if not pid:
        return None
    stat = _proc_stat(pid)
    if stat is None or stat[0] in 'ZXx' or stat[1] != daemon.get('starttime'):
        return None
    return pid


def systemd_unit():
    """The systemd service running this process ('aerospike.service'), or None when systemd did not start it.

    systemd sets INVOCATION_ID for what it runs; the unit is the last '.service' in /proc/self/cgroup.
    """
    if not os.environ.get('INVOCATION_ID'):
        return None
    try:
        with open('/proc/self/cgroup') as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError):
        return None
    for line in lines:
        for part in reversed(line.split(':', 2)[-1].split('/')):
            if part.endswith('.service'):
                return part
    return None


def _pid_file(state_dir, instance):
    return os.path.join(state_dir, 'asd-%d.pid' % instance)


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


# ----------------------------------------------------------------------------------------------
# the Aerospike log

def describe_sinks(sinks):
    """'/var/log/aerospike/aerospike.log', 'the console (stdout: the journal under systemd)', or both."""
    sinks = [sinks] if isinstance(sinks, str) else sinks
    return ' and '.join('the console (stdout: the journal under systemd)' if sink is CONSOLE else sink
                        for sink in sinks)


class AsdLog:
    """Writes lines shaped like Aerospike's: ``Nov 25 2026 10:11:12 GMT: INFO (ctx): (file.c:n) msg``.

    sinks: a file path, or a list of file paths and CONSOLE (stdout, one write per line, so every
    line reaches the journal as it is logged).
    """

    def __init__(self, sinks):
        self.sinks = [sinks] if isinstance(sinks, str) else list(sinks)
        self.fds = []
        for sink in self.sinks:
            if sink is CONSOLE:
                self.fds.append(None)
                continue
            _ensure_dir(os.path.dirname(os.path.abspath(sink)))
            self.fds.append(os.open(sink, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))

    def line(self, level, context, where, message):
        now = time.gmtime()
        stamp = '%s %02d %d %02d:%02d:%02d GMT' % (MONTHS[now.tm_mon - 1], now.tm_mday, now.tm_year,
                                                   now.tm_hour, now.tm_min, now.tm_sec)
        data = ('%s: %s (%s): (%s) %s\n' % (stamp, level, context, where, message)).encode('utf-8')
        for fd in self.fds:
            if fd is not None:
                os.write(fd, data)
                continue
            try:
                os.write(1, data)
            except OSError:
                pass  # nobody reads the console any more (EPIPE): like asd, carry on

    def close(self):
        for fd in self.fds:
            if fd is not None:
                os.close(fd)
        self.fds = []


def config_log_sinks(text):
    """The sinks of aerospike.conf's ``logging`` stanza: CONSOLE for ``console {``, the path for
    ``file PATH {`` (other sinks are ignored). No logging stanza: the console."""
    tokens = re.findall(r'[{}]|[^\s{}]+', re.sub(r'#[^\n]*', '', text))
    sinks, depth, in_logging = [], 0, False
    for at, token in enumerate(tokens):
        following = tokens[at + 1:at + 3]
        if token in '{}':
            depth += 1 if token == '{' else -1
            in_logging = in_logging and depth > 0
        elif depth == 0 and token == 'logging' and following[:1] == ['{']:
            in_logging = True
        elif in_logging and depth == 1 and token == 'console' and following[:1] == ['{']:
            sinks.append(CONSOLE)
        elif in_logging and depth == 1 and token == 'file' and following[1:] == ['{']:
            sinks.append(following[0])
    return sinks or [CONSOLE]


# What a namespace stanza may set for the simulated cluster (racks.md 1.3), and the server's defaults.
NAMESPACE_DEFAULTS = {'replication-factor': 2, 'rack-id': 0, 'strong-consistency': False}
# asd refuses these on Community Edition when it reads the file (cfg_enterprise_only: it does not start).
ENTERPRISE_ONLY = ('rack-id', 'strong-consistency')
MAX_RACK_ID = 1000000
EDITIONS = ('enterprise', 'community')


def _namespace_value(name, text, number):
    """A namespace setting's value, or SimError naming the line as asd does (``line N :: ...``)."""
    if name == 'strong-consistency':
        if text not in ('true', 'false'):
            raise SimError('line %d :: %s must be true or false, not %s' % (number, name, text))
        return text == 'true'
    low, high = (1, 256) if name == 'replication-factor' else (0, MAX_RACK_ID)
    if not text.isdigit() or not low <= int(text) <= high:
        raise SimError('line %d :: %s must be an integer from %d to %d, not %s' % (number, name, low, high, text))
    return int(text)


def config_namespaces(text, edition='enterprise'):
    """{name: {'replication-factor', 'rack-id', 'strong-consistency'}} of aerospike.conf's namespace stanzas.

    Settings a stanza leaves out get the server's defaults; other settings and sub-stanzas
    (storage-engine, index-type) are skipped. Community Edition refuses the enterprise-only ones,
    as asd does: it does not start.
    """
    out, depth, current = {}, 0, None
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split('#', 1)[0].replace('{', ' { ').replace('}', ' } ').split()
        if depth == 0 and len(words) >= 3 and words[0] == 'namespace' and words[2] == '{':
            current = out.setdefault(words[1], dict(NAMESPACE_DEFAULTS))
        elif current is not None and depth == 1 and len(words) == 2 and words[0] in NAMESPACE_DEFAULTS:
            if edition == 'community' and words[0] in ENTERPRISE_ONLY:
                raise SimError('line %d :: %s is enterprise-only' % (number, words[0]))
            current[words[0]] = _namespace_value(words[0], words[1], number)
        depth += words.count('{') - words.count('}')
        if depth <= 0:
            depth, current = 0, None
    return out


def read_config(path, edition='enterprise'):
    """(log sinks, namespace settings) of an aerospike.conf; SimError when unreadable or refused."""
    try:
        with open(path) as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        raise SimError('cannot read the configuration file %s: %s' % (path, exc.strerror or exc))
    return config_log_sinks(text), config_namespaces(text, edition)


def edition_setting():
    """ASD_SIM_EDITION: 'enterprise' (default) or 'community'."""
    edition = (setting('ASD_SIM_EDITION') or 'enterprise').lower()
    if edition not in EDITIONS:
        raise SimError('ASD_SIM_EDITION=%s: give enterprise or community' % edition)
    return edition


# ----------------------------------------------------------------------------------------------
# create / verify / destroy

def create_instance(state_dir, instance, namespaces, size, stages=None, sindex_stages=0, stripes=0, uid=0, gid=0,
                    mode=0o666, seed=None, version=None, build=None, stripe_size=DEFAULT_STRIPE_SIZE,
                    sindex_stage_size=DEFAULT_SINDEX_STAGE_SIZE):
    """Make the segments a clean shutdown leaves (docs/asmt-format.md §2) and record their fingerprint."""
    base_version, version_build = parse_version(DEFAULT_BASE_VERSION if version is None else version)
    build = build or version_build or DEFAULT_BUILD
    plan = plan_namespaces(instance, list(namespaces), size, stages, sindex_stages, stripes, base_version, uid, gid,
                           mode, stripe_size, sindex_stage_size)
    _ensure_dir(state_dir)
    with _Locked(state_dir, instance):
        old = load_state(state_dir, instance, required=False)
        if daemon_pid(old):
            raise SimError('instance %d is running (pid %d): stop it and destroy it before creating it again'
                           % (instance, daemon_pid(old)))
        existing = instance_segments(instance, set(ns['nsid'] for ns in plan))
        if existing:
            raise SimError('instance %d already has segments %s: remove them with "asd_sim.py destroy --instance %d" '
                           'first' % (instance, ', '.join('0x' + key_hex(k) for k in sorted(existing)), instance))
        seed = random.SystemRandom().randrange(1 << 62) if seed is None else seed
        filler = Filler(seed, sum(size for ns in plan for _k, size, _r in namespace_layout(ns)))
        fingerprint = {}
        done = []
        try:
            for ns in plan:
                fingerprint.update(build_namespace(ns, filler, shutdown=1))
                done.append(ns)
        except BaseException:
            for ns in done:
                for key, _size, _role in namespace_layout(ns):
                    _remove_key(key)
            raise
        state = {'instance': instance, 'build': build, 'seed': seed, 'created_at': time.time(),
                 'namespaces': plan, 'fingerprint': fingerprint, 'fingerprint_source': 'create',
                 'fingerprint_at': time.time(), 'running_fingerprint': None, 'daemon': None,
                 'last_start': None, 'last_stop': None}
        save_state(state_dir, instance, state)
    return state


def compare_fingerprint(expected, segments=None):
    """(differences, present count, present bytes) of the segments against {keyhex: {size, crc}}."""
    segments = list_segments() if segments is None else segments
    problems = []
    count = total = 0
    for hexkey in sorted(expected):
        want = expected[hexkey]
        info = segments.get(int(hexkey, 16))
        if info is None:
            problems.append('segment 0x%s is missing' % hexkey)
            continue
        count += 1
        total += info['size']
        if info['size'] != want['size']:
            problems.append('segment 0x%s has size %d, expected %d' % (hexkey, info['size'], want['size']))
            continue
        crc = segment_crc(info['shmid'])
        if crc != want['crc']:
            problems.append('segment 0x%s content differs: crc32 0x%08x, expected 0x%08x' % (hexkey, crc, want['crc']))
    return problems, count, total


def verify_instance(state_dir, instance):
    """Compare the segments with the last clean-stop fingerprint (or, while running, the one taken at start)."""
    state = load_state(state_dir, instance)
    running = daemon_pid(state) is not None
    expected = state.get('running_fingerprint') if running else state.get('fingerprint')
    if running:
        source = 'the fingerprint taken when asd started'
    elif state.get('fingerprint_source') == 'clean-stop':
        source = 'the last clean stop'
    else:
        source = 'the segments as create left them'

    if not expected:
        raise SimError('instance %d has no fingerprint to compare with: start and stop it cleanly, or create it again'
                       % instance)
    problems, count, total = compare_fingerprint(expected)
    nsids = set(ns['nsid'] for ns in state['namespaces'])
    for key in sorted(instance_segments(instance, nsids)):
        if key_hex(key) not in expected:
            problems.append('segment 0x%s is not part of %s' % (key_hex(key), source))
    return {'ok': not problems, 'running': running, 'compared_with': source, 'segments': count, 'bytes': total,
            'expected_segments': len(expected), 'problems': problems}


def destroy_instance(state_dir, instance):
    """Remove the instance's unattached segments, its state and pid file."""
    with _Locked(state_dir, instance):
        state = load_state(state_dir, instance, required=False)
        pid = daemon_pid(state)
        if pid:
            raise SimError('instance %d is running (pid %d): run "asd_sim.py stop --instance %d" first'
                           % (instance, pid, instance))
        removed, kept = [], []
        for key, info in sorted(instance_segments(instance).items()):
            if info['nattch']:
                kept.append('0x%s (%d attached)' % (key_hex(key), info['nattch']))
                continue
            if shm_remove(info['shmid']):
                removed.append(key_hex(key))
        _remove_quietly(state_path(state_dir, instance))
        _remove_quietly(_pid_file(state_dir, instance))
        if state and (state.get('daemon') or {}).get('pid_file'):
            _remove_quietly(state['daemon']['pid_file'])
    if kept:
        raise SimError('removed %d segments of instance %d but %s still attached: stop the processes using them'
                       % (len(removed), instance, ', '.join(kept)))
    return {'removed': removed}


def instance_status(state_dir, instance):
    state = load_state(state_dir, instance)
    pid = daemon_pid(state)
    segments = list_segments()
    keys = [int(k, 16) for k in (state.get('fingerprint') or {})]
    if not keys:
        keys = [key for ns in state['namespaces'] for key, _s, _r in namespace_layout(ns)]
    present = [segments[k] for k in keys if k in segments]
    return {'instance': instance, 'running': pid is not None, 'pid': pid,
            'namespaces': [ns['name'] for ns in state['namespaces']], 'build': state.get('build'),
            'last_start': state.get('last_start'), 'last_stop': state.get('last_stop'),
            'segments': len(present), 'expected_segments': len(keys), 'bytes': sum(s['size'] for s in present),
            'attached': sum(1 for s in present if s['nattch'])}


# ----------------------------------------------------------------------------------------------
# the daemon

class Daemon:
    """One running simulated asd: decides warm/cold per namespace, holds the segments, stops cleanly."""

    def __init__(self, state_dir, instance, log_path, cold_rate, cluster_dir=None, node_id=None, pid_file=None,
                 cold_start=False, notify_fd=None, shutdown_delay=0.0, edition='enterprise', ns_config=None):
        self.state_dir = state_dir
        self.edition = edition
        self.ns_config = ns_config or {}  # aerospike.conf's namespace settings, published for asinfo
        self.instance = instance
        self.log = AsdLog(log_path)  # a file, or a list of sinks (file paths and CONSOLE)
        self.log_path = log_path
        self.cold_rate = float(cold_rate)
        self.shutdown_delay = shutdown_delay
        self.cluster_dir = cluster_dir
        self.node_id = node_id
        self.pid_file = pid_file or _pid_file(state_dir, instance)
        self.force_cold = cold_start
        self.notify_fd = notify_fd
        self.ready = False
        self.stop_requested = False
        self.attached = {}  # key -> SharedMemory
        self.crcs = {}  # key -> CRC-32 of the attached content, kept current by this process
        self.lock_handle = None
        self.started_at = time.time()
        self.state = None
        self.build = DEFAULT_BUILD
        self.decisions = {}

    # signals ------------------------------------------------------------------------------
    def _on_term(self, signum, _frame):
        if self.ready:
            self.stop_requested = True
            return
        # Unwinding (rather than exiting here) releases the state-file lock if startup holds it.
        raise _Terminated()

    # cluster presence -----------------------------------------------------------------------
    def _cluster_file(self, ext):
        return os.path.join(self.cluster_dir, 'nodes', '%s.%s' % (self.node_id, ext))

    def _join_cluster(self):
        if not self.cluster_dir:
            return
        if not self.node_id:
            raise SimError('--cluster-dir needs --node-id (or ASD_SIM_NODE_ID)')
        _ensure_dir(os.path.join(self.cluster_dir, 'nodes'))
        self.lock_handle = open(self._cluster_file('lock'), 'a')
        # asinfo probes liveness with a brief shared lock: retry for a moment before concluding
        # that another asd holds the node.
        deadline = time.time() + 2.0
        while True:
            try:
                fcntl.flock(self.lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError):
                if time.time() < deadline:
                    time.sleep(0.05)
                    continue
            self.lock_handle.close()
            self.lock_handle = None
            raise SimError('node %s is already up (another process holds %s): stop it first'
                           % (self.node_id, self._cluster_file('lock')))
        self._write_cluster(ready=False)

    def _write_cluster(self, ready, running=True, start_kind=None):
        if self.lock_handle is None:
            return  # only the holder of the node's lock speaks for the node
        info = {'node_id': self.node_id, 'pid': os.getpid(), 'instance': self.instance,
                'started_at': self.started_at, 'start_kind': start_kind,
                'namespaces': [ns['name'] for ns in (self.state or {}).get('namespaces', [])],
                'build': self.build, 'ready': ready, 'running': running,
                'log': _sinks_json(self.log_path), 'unit': systemd_unit(), 'edition': self.edition,
                'namespace_config': self._namespace_config()}
        path = self._cluster_file('json')
        tmp = '%s.%d.tmp' % (path, os.getpid())
        with open(tmp, 'w') as handle:
            json.dump(info, handle, sort_keys=True)
        os.rename(tmp, path)

    def _namespace_config(self):
        """Each namespace's settings for asinfo: the config file's stanza, else the server's defaults."""
        names = [ns['name'] for ns in (self.state or {}).get('namespaces', [])]
        return dict((name, dict(NAMESPACE_DEFAULTS, **self.ns_config.get(name, {}))) for name in names)

    def _edition_name(self):
        return 'Aerospike %s Edition' % self.edition.capitalize()

    def _leave_cluster(self, start_kind):
        if self.lock_handle is None:
            return
        self._write_cluster(ready=False, running=False, start_kind=start_kind)
        if self.lock_handle is not None:
            self.lock_handle.close()
            self.lock_handle = None

    # startup --------------------------------------------------------------------------------
    def _notify(self, message):
        if self.notify_fd is not None:
            try:
                os.write(self.notify_fd, (json.dumps(message) + '\n').encode('utf-8'))
                os.close(self.notify_fd)
            except OSError:
                pass
            self.notify_fd = None

    def _check_namespace(self, ns, segments):
        """(True, '') if this namespace can restart warm, else (False, reason)."""
        if self.force_cold:
            return False, '--cold-start requested'
        expected = self.state.get('fingerprint') or {}
        layout = namespace_layout(ns)
        for key, _size, _role in layout:
            if key_hex(key) not in expected:
                return False, 'no clean-shutdown record of segment 0x%s' % key_hex(key)
        for key, _size, _role in layout:
            info = segments.get(key)
            if info is None:
                return False, 'segment 0x%s is missing' % key_hex(key)
            if info['nattch']:
                raise SimError('segment 0x%s is attached by %d processes: is another asd of instance %d running?'
                               % (key_hex(key), info['nattch'], self.instance))
            want = expected[key_hex(key)]
            if info['size'] != want['size']:
                return False, 'segment 0x%s has size %d, the clean shutdown left %d' % (
                    key_hex(key), info['size'], want['size'])
        base = segments[layout[0][0]]
        memory = Segment(base['shmid'], readonly=True)
        try:
            version, shutdown = struct.unpack('<II', memory.read(8, 0))
        finally:
            memory.detach()
        if shutdown != 1:
            return False, 'base segment 0x%s shutdown flag is %d: the last stop was not clean' % (
                key_hex(layout[0][0]), shutdown)
        if not 10 <= version <= 12:
            return False, 'base segment 0x%s has version %d' % (key_hex(layout[0][0]), version)
        # Attach for good while checking the content: mapping a segment twice costs twice the page faults.
        for key, _size, role in layout:
            memory = self._attach(key)
            with memory.view() as view:
                crc = self.crcs[key] = zlib.crc32(view) & 0xFFFFFFFF
            if crc != expected[key_hex(key)]['crc']:
                self._detach(layout)
                return False, 'segment 0x%s content differs from the clean shutdown (crc32 0x%08x, expected 0x%08x)' % (
                    key_hex(key), crc, expected[key_hex(key)]['crc'])
            if role == 'base':
                # From here on the index is in use: stopped before startup completes, it is not clean.
                self._set_shutdown_flag(ns, 0)
        return True, ''

    def _detach(self, layout):
        for key, _size, _role in layout:
            memory = self.attached.pop(key, None)
            if memory is not None:
                memory.detach()
            self.crcs.pop(key, None)

    def _attach(self, key):
        memory = Segment.by_key(key)
        populate(memory, write=True)
        self.attached[key] = memory
        return memory

    def _set_shutdown_flag(self, ns, value):
        key = make_key(PRIMARY, ns['instance'], ns['nsid'], 0)
        memory = self.attached[key]
        memory.write(struct.pack('<I', value), SHUTDOWN_AT)
        self.crcs[key] = zlib.crc32(memory.read()) & 0xFFFFFFFF

    def _warm(self, ns):
        self.log.line('INFO', 'namespace', 'namespace_ee.c:361', '{%s} beginning warm restart' % ns['name'])

    def _cold(self, ns, reason, filler):
        began = time.time()
        self.log.line('INFO', 'namespace', 'namespace_ee.c:341', '{%s} %s - will cold start' % (ns['name'], reason))
        self.log.line('INFO', 'namespace', 'namespace_ee.c:394', '{%s} beginning cold start' % ns['name'])
        # Whatever is left of this namespace id goes; the rebuilt set has the recorded geometry.
        for key, info in instance_segments(self.instance, {ns['nsid']}).items():
            if info['nattch']:
                raise SimError('segment 0x%s is attached by %d processes: cannot rebuild namespace %s'
                               % (key_hex(key), info['nattch'], ns['name']))
            _remove_key(key)
        for hexkey, item in build_namespace(ns, filler, shutdown=0).items():
            self.crcs[int(hexkey, 16)] = item['crc']
        size = 0
        for key, seg_size, _role in namespace_layout(ns):
            self._attach(key)
            size += seg_size
        self.log.line('INFO', 'namespace', 'namespace_ee.c:412', '{%s} rebuilt index: %d segments, %d bytes'
                      % (ns['name'], len(namespace_layout(ns)), size))
        remaining = size / self.cold_rate - (time.time() - began)
        while remaining > 0:
            time.sleep(min(remaining, 0.1))
            remaining = size / self.cold_rate - (time.time() - began)

    def _simulate_writes(self, rng):
        """Update a few records in place, as client writes do, so the next clean stop differs from this start."""
        touched = set()
        stages = [k for k in self.attached if k >> 24 == PRIMARY and (k & 0xFFF) >= STAGE_BASE]
        for _i in range(WRITES_PER_START):
            key = rng.choice(stages)
            memory = self.attached[key]
            offset = rng.randrange(memory.size // RECORD) * RECORD
            record = bytearray(memory.read(RECORD, offset))
            generation = struct.unpack_from('<H', record, 34)[0]
            struct.pack_into('<H', record, 34, (generation + 1) & 0xFFFF)
            record[40:43] = _randbytes(rng, 3)  # last_update_time moves on
            memory.write(bytes(record), offset)
            touched.add(key)
        return touched

    def _fingerprint_attached(self, keys=None):
        """Fingerprint of the attached segments; CRCs are recomputed only for keys (all if None)."""
        out = {}
        for key, memory in sorted(self.attached.items()):
            if keys is None or key in keys or key not in self.crcs:
                with memory.view() as view:
                    self.crcs[key] = zlib.crc32(view) & 0xFFFFFFFF
            out[key_hex(key)] = {'size': memory.size, 'crc': self.crcs[key]}
        return out

    def _write_pid_file(self):
        _ensure_dir(os.path.dirname(os.path.abspath(self.pid_file)))
        tmp = '%s.%d.tmp' % (self.pid_file, os.getpid())
        with open(tmp, 'w') as handle:
            handle.write('%d\n' % os.getpid())
        os.rename(tmp, self.pid_file)

    def startup(self):
        pid = os.getpid()
        starttime = _proc_stat(pid)[1]

        def claim(state):
            other = daemon_pid(state)
            if other and other != pid:
                raise SimError('instance %d is already running (pid %d)' % (self.instance, other))
            state['daemon'] = {'pid': pid, 'starttime': starttime, 'pid_file': self.pid_file, 'log': _sinks_json(self.log_path),
                               'started_at': self.started_at, 'cluster_dir': self.cluster_dir,
                               'node_id': self.node_id, 'ready': False}
        self.state = update_state(self.state_dir, self.instance, claim)
        self.build = self.state.get('build') or DEFAULT_BUILD
        self._write_pid_file()
        self.log.line('INFO', 'as', 'as.c:309', '<><><><><><><><><><>  %s build %s  '
                      '<><><><><><><><><><>' % (self._edition_name(), self.build))
        self._join_cluster()
        segments = list_segments()
        kinds = {}
        reasons = []
        filler = None
        for ns in self.state['namespaces']:
            warm, reason = self._check_namespace(ns, segments)
            if warm:
                self._warm(ns)
            else:
                if filler is None:
                    filler = Filler(random.SystemRandom().randrange(1 << 62), sum(
                        size for item in self.state['namespaces'] for _k, size, _r in namespace_layout(item)))
                self._cold(ns, reason, filler)
                reasons.append('{%s} %s' % (ns['name'], reason))
            kinds[ns['name']] = {'kind': 'warm' if warm else 'cold', 'reason': reason}
        kind = 'warm' if all(v['kind'] == 'warm' for v in kinds.values()) else 'cold'
        touched = self._simulate_writes(random.Random())
        running = self._fingerprint_attached(touched)
        duration = time.time() - self.started_at
        last_start = {'kind': kind, 'reason': '; '.join(reasons), 'duration': round(duration, 3), 'pid': pid,
                      'time': self.started_at, 'namespaces': kinds, 'build': self.build}

        def started(state):
            state['last_start'] = last_start
            state['running_fingerprint'] = running
            state['daemon']['ready'] = True
        self.state = update_state(self.state_dir, self.instance, started)
        self.ready = True
        self.log.line('INFO', 'as', 'as.c:486', 'service ready: soon there will be cake!')
        self._write_cluster(ready=True, start_kind=kind)
        return last_start

    # shutdown -------------------------------------------------------------------------------
    def _record_stop(self, kind, fingerprint=None):
        def stopped(state):
            state['last_stop'] = {'kind': kind, 'time': time.time(), 'pid': os.getpid()}
            state['daemon'] = None
            state['running_fingerprint'] = None
            if fingerprint is not None:
                state['fingerprint'] = fingerprint
                state['fingerprint_source'] = 'clean-stop'
                state['fingerprint_at'] = time.time()
        update_state(self.state_dir, self.instance, stopped)

    def _abandon(self, kind):
        """Leave without a flush: segments stay as they are (base not clean once it was attached)."""
        for memory in self.attached.values():
            memory.detach()
        self.attached = {}
        if self.state is not None and (self.state.get('daemon') or {}).get('pid') == os.getpid():
            try:
                self._record_stop(kind)
            except (SimError, IOError, OSError):
                pass
            _remove_quietly(self.pid_file)
        self._leave_cluster(None)

    def shutdown(self):
        kind = (self.state.get('last_start') or {}).get('kind')
        self.log.line('INFO', 'as', 'signal.c:159', 'SIGTERM received, shutting down %s build %s os debian12 arch %s '
                      'sha 0000000' % (self._edition_name(), self.build, os.uname()[4]))
        self.log.line('INFO', 'as', 'as.c:441', 'initiating clean shutdown ...')
        # Heartbeats stop first (5.3+), so the node leaves the cluster before the flush.
        self._leave_cluster(kind)
        # ASD_SIM_SHUTDOWN_DELAY: the flush takes this long; a SIGKILL meanwhile leaves the index unclean.
        time.sleep(self.shutdown_delay)
        for ns in self.state['namespaces']:
            self._set_shutdown_flag(ns, 1)
        fingerprint = self._fingerprint_attached()
        for memory in self.attached.values():
            memory.detach()
        self.attached = {}
        self._record_stop('clean', fingerprint)
        _remove_quietly(self.pid_file)
        self.log.line('INFO', 'as', 'as.c:469', 'finished clean shutdown - exiting')

    def run(self):
        """Start, serve until SIGTERM/SIGINT, stop cleanly. Returns the exit status."""
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            last_start = self.startup()
        except _Terminated:
            # asd exits at once when startup is not complete: no flush, so the next start is cold.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            self.log.line('WARNING', 'as', 'signal.c:173', 'startup was not complete, exiting immediately')
            self._abandon('startup-incomplete')
            self._notify({'ok': False, 'message': 'stopped by a signal before startup was complete'})
            return 0
        except BaseException as exc:  # pylint: disable=broad-except
            message = str(exc) if isinstance(exc, SimError) else '%s: %s' % (type(exc).__name__, exc)
            self.log.line('CRITICAL', 'as', 'as.c:381', 'startup failed: %s' % message)
            self._abandon('startup-failed')
            self._notify({'ok': False, 'message': message})
            return 1
        self._notify({'ok': True, 'pid': os.getpid(), 'start': last_start})
        while not self.stop_requested:
            time.sleep(0.05)
        self.shutdown()
        return 0


def _sinks_json(sinks):
    if isinstance(sinks, str):
        return sinks
    return ['console' if sink is CONSOLE else sink for sink in sinks]


def _close_fds(keep):
    try:
        limit = os.sysconf('SC_OPEN_MAX')
    except (ValueError, OSError):
        limit = 1024
    keep = sorted(keep)
    low = 3
    for fd in keep + [min(limit, 65536)]:
        if fd >= low:
            os.closerange(low, fd)
        low = max(low, fd + 1)


def start_instance(state_dir, instance=0, cold_rate=None, log_path=None, foreground=False, cluster_dir=None,
                   node_id=None, pid_file=None, cold_start=False, log_sinks=None, ns_config=None):
    """Start asd for an instance and return once startup completed (dict) or failed (SimError).

    foreground runs the daemon in this process (``asd --fgdaemon``) and returns once it exited.
    log_sinks (Aerospike's command line: the config file's sinks) replaces log_path and ASD_SIM_LOG;
    ns_config is the config file's namespace settings (config_namespaces), published in the node json.
    """
    state = load_state(state_dir, instance)
    pid = daemon_pid(state)
    if pid:
        return {'ok': True, 'already_running': True, 'pid': pid, 'start': state.get('last_start')}
    settings = _start_settings(state_dir, cold_rate, log_path, cluster_dir, node_id, log_sinks)
    state_dir = os.path.abspath(state_dir)
    pid_file = os.path.abspath(pid_file) if pid_file else None

    def daemon(notify_fd):
        return Daemon(state_dir, instance, settings['log'], settings['cold_rate'], settings['cluster_dir'],
                      settings['node_id'], pid_file, cold_start, notify_fd, settings['shutdown_delay'],
                      settings['edition'], ns_config)

    if foreground:
        if daemon(None).run():
            raise SimError('startup failed; see %s' % describe_sinks(settings['log']))
        return {'ok': True, 'foreground': True}
    return _daemonize(daemon, settings['log'])


def _start_settings(state_dir, cold_rate, log_path, cluster_dir, node_id, log_sinks):
    """Arguments first, then the ASD_SIM_* settings (environment, then /etc/sysconfig/aerospike)."""
    cold_rate = float(cold_rate or setting('ASD_SIM_COLD_RATE') or DEFAULT_COLD_RATE)
    if cold_rate <= 0:
        raise SimError('--cold-rate must be a positive number of bytes per second')
    if log_sinks is None:
        log = os.path.abspath(log_path or setting('ASD_SIM_LOG') or os.path.join(state_dir, 'aerospike.log'))
    else:
        log = [sink if sink is CONSOLE else os.path.abspath(sink) for sink in log_sinks]
    cluster_dir = cluster_dir or setting('ASD_SIM_CLUSTER_DIR')
    node_id = node_id or setting('ASD_SIM_NODE_ID')
    if cluster_dir and not node_id:
        raise SimError('--cluster-dir needs --node-id (or ASD_SIM_NODE_ID)')
    return {'cold_rate': cold_rate, 'log': log, 'cluster_dir': os.path.abspath(cluster_dir) if cluster_dir else None,
            'node_id': node_id, 'shutdown_delay': float_setting('ASD_SIM_SHUTDOWN_DELAY', 0.0),
            'edition': edition_setting()}


def _daemonize(daemon, log):
    """Double-fork the daemon (new session) and wait for its word that startup completed or failed."""
    files = [log] if isinstance(log, str) else [sink for sink in log if sink is not CONSOLE]
    read_fd, write_fd = os.pipe()
    first = os.fork()
    if first == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        _daemon_child(daemon, write_fd, files[0] if files else os.devnull)
    os.close(write_fd)
    os.waitpid(first, 0)
    chunks = []
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    text = b''.join(chunks).decode('utf-8', 'replace').strip()
    if not text:
        raise SimError('asd exited during startup without a word; see %s' % describe_sinks(log))
    reply = json.loads(text.splitlines()[0])
    if not reply.get('ok'):
        raise SimError('startup failed: %s (log: %s)' % (reply.get('message'), describe_sinks(log)))
    return reply


def _daemon_child(daemon, write_fd, err_path):  # pragma: no cover - runs in the child
    status = 1
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        os.chdir('/')
        if write_fd < 3:
            write_fd = fcntl.fcntl(write_fd, fcntl.F_DUPFD, 3)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)  # the console sink of a daemonized asd goes nowhere, as the real one's
        _ensure_dir(os.path.dirname(err_path))
        err = os.open(err_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(err, 2)  # tracebacks, if any, end up next to the log lines
        _close_fds([write_fd])
        status = daemon(write_fd).run()
    except BaseException:  # pylint: disable=broad-except
        import traceback
        traceback.print_exc()
    finally:
        os._exit(status)


def stop_instance(state_dir, instance=0, timeout=DEFAULT_STOP_TIMEOUT):
    """SIGTERM the daemon and wait for it to exit; returns {'stopped': bool, 'last_stop': ...}."""
    state = load_state(state_dir, instance, required=False)
    pid = daemon_pid(state)
    if not pid:
        if state and state.get('daemon'):
            _remove_quietly(state['daemon'].get('pid_file') or _pid_file(state_dir, instance))
        return {'stopped': False, 'message': 'not running'}
    starttime = state['daemon']['starttime']
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + timeout
    while True:
        stat = _proc_stat(pid)
        if stat is None or stat[0] in 'ZXx' or stat[1] != starttime:
            break
        if time.time() > deadline:
            raise SimError('asd (pid %d) did not exit within %g s of SIGTERM: it may still be flushing; wait or '
                           'raise --timeout' % (pid, timeout))
        time.sleep(0.02)
    state = load_state(state_dir, instance, required=False) or {}
    return {'stopped': True, 'pid': pid, 'last_stop': state.get('last_stop')}


# ----------------------------------------------------------------------------------------------
# command line

def _int(text):
    return int(text, 0)


def _size(text):
    """Bytes, with an optional K/M/G/T suffix (powers of 1024)."""
    text = text.strip()
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
    suffix = text[-1:].upper()
    if suffix == 'B' and len(text) > 1 and text[-2:-1].upper() in units:
        text, suffix = text[:-1], text[-2:-1].upper()
    if suffix in units:
        return int(float(text[:-1]) * units[suffix])
    return int(text, 0)


def _mode(text):
    return int(text, 8)


def build_parser():
    parser = argparse.ArgumentParser(prog='asd_sim.py', description='Simulated Aerospike asd with real shared memory',
                                     epilog="Aerospike's own command line also works: asd_sim.py [--cold-start] "
                                     '--config-file FILE --fgdaemon (sim/README.md)')
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--state-dir', default=None, help='default: $ASD_SIM_STATE or %s' % DEFAULT_STATE_DIR)
    common.add_argument('--instance', type=int, default=0)
    sub = parser.add_subparsers(dest='command')
    sub.required = True

    p = sub.add_parser('create', parents=[common], help='make the segments a clean shutdown leaves')
    p.add_argument('--namespace', action='append', required=True)
    p.add_argument('--size', type=_size, required=True, help='primary index bytes per namespace (K/M/G suffix)')
    p.add_argument('--stages', type=int, default=None, help='primary stages (default: one per GiB)')
    p.add_argument('--sindex-stages', type=int, default=0)
    p.add_argument('--sindex-stage-size', type=_size, default=DEFAULT_SINDEX_STAGE_SIZE)
    p.add_argument('--stripes', type=int, default=0, help='data stripes (server 7.0+ in-memory data)')
    p.add_argument('--stripe-size', type=_size, default=DEFAULT_STRIPE_SIZE)
    p.add_argument('--uid', type=int, default=0)
    p.add_argument('--gid', type=int, default=0)
    p.add_argument('--mode', type=_mode, default=0o666)
    p.add_argument('--seed', type=_int, default=None)
    p.add_argument('--version', default=None, help='base version 10-12, or a server build such as 7.1.0.0')
    p.add_argument('--build', default=None, help='server build reported (default %s)' % DEFAULT_BUILD)

    p = sub.add_parser('start', parents=[common], help='start asd (warm if the index survived)')
    p.add_argument('--cold-rate', type=_size, default=None,
                   help='cold rebuild speed, bytes/s (default $ASD_SIM_COLD_RATE or 200M)')
    p.add_argument('--log', default=None, help='default $ASD_SIM_LOG or <state-dir>/aerospike.log')
    p.add_argument('--pid-file', default=None)
    p.add_argument('--foreground', action='store_true')
    p.add_argument('--cold-start', action='store_true', help='force a cold start, like asd --cold-start')
    p.add_argument('--cluster-dir', default=None)
    p.add_argument('--node-id', default=None)

    p = sub.add_parser('stop', parents=[common], help='clean shutdown')
    p.add_argument('--timeout', type=float, default=DEFAULT_STOP_TIMEOUT)

    p = sub.add_parser('status', parents=[common], help='LSB status: 0 running, 3 stopped')
    p.add_argument('--json', action='store_true')

    p = sub.add_parser('verify', parents=[common], help='compare segments with the last clean-stop fingerprint')
    p.add_argument('--json', action='store_true')

    sub.add_parser('destroy', parents=[common], help='remove the segments and state of an instance')
    return parser


def aerospike_parser():
    parser = argparse.ArgumentParser(prog='asd', description="Aerospike's own command line, as aerospike.service "
                                     'runs it: asd $ASD_OPTIONS --config-file $ASD_CONFIG_FILE --fgdaemon')
    parser.add_argument('--config-file', default=DEFAULT_CONFIG_FILE,
                        help='read for its logging sinks and namespace settings (default %s)' % DEFAULT_CONFIG_FILE)
    parser.add_argument('--fgdaemon', action='store_true', help='run in the foreground, as systemd wants')
    parser.add_argument('--foreground', action='store_true', help='the same as --fgdaemon')
    parser.add_argument('--cold-start', action='store_true', help='rebuild the index even if it is intact')
    parser.add_argument('--instance', type=int, default=0)
    return parser


def aerospike_main(argv):
    """``asd [--cold-start] [--instance N] [--config-file F] [--fgdaemon|--foreground]``.

    In the foreground: exit 0 after a clean shutdown (SIGTERM), 1 when startup failed. Without
    --fgdaemon it daemonizes and exits 0 once startup completed. State comes from ASD_SIM_STATE.
    """
    args = aerospike_parser().parse_args(argv)
    foreground = args.fgdaemon or args.foreground
    try:
        sinks, ns_config = read_config(args.config_file, edition_setting())
        state_dir = default_state_dir()
        running = daemon_pid(load_state(state_dir, args.instance))
        if running:
            raise SimError('asd instance %d is already running (pid %d)' % (args.instance, running))
        if foreground:
            set_process_name('asd')
        start_instance(state_dir, args.instance, foreground=foreground, cold_start=args.cold_start, log_sinks=sinks,
                       ns_config=ns_config)
    except SimError as exc:
        sys.stderr.write('asd: %s\n' % exc)
        return 1
    return 0


def _describe_start(start):
    if not start:
        return 'never started'
    text = '%s start in %.2f s' % (start['kind'], start['duration'])
    if start.get('reason'):
        text += ' (%s)' % start['reason']
    return text


def _cmd_create(args, state_dir, out):
    state = create_instance(state_dir, args.instance, args.namespace, args.size, args.stages,
                            args.sindex_stages, args.stripes, args.uid, args.gid, args.mode, args.seed,
                            args.version, args.build, args.stripe_size, args.sindex_stage_size)
    fp = state['fingerprint']
    out.write('created instance %d: namespaces %s, %d segments, %d bytes (clean shutdown, detached)\n'
              % (args.instance, ', '.join(args.namespace), len(fp), sum(v['size'] for v in fp.values())))
    return 0


def _cmd_start(args, state_dir, out):
    reply = start_instance(state_dir, args.instance, args.cold_rate, args.log, args.foreground,
                           args.cluster_dir, args.node_id, args.pid_file, args.cold_start)
    if reply.get('already_running'):
        out.write('asd instance %d is already running (pid %d)\n' % (args.instance, reply['pid']))
    elif not reply.get('foreground'):
        out.write('asd instance %d started (pid %d): %s\n' % (args.instance, reply['pid'],
                                                              _describe_start(reply['start'])))
    return 0


def _cmd_stop(args, state_dir, out):
    reply = stop_instance(state_dir, args.instance, args.timeout)
    if not reply['stopped']:
        out.write('asd instance %d is not running\n' % args.instance)
    else:
        kind = (reply.get('last_stop') or {}).get('kind', 'unknown')
        out.write('asd instance %d stopped (pid %d): %s\n' % (args.instance, reply['pid'], kind))
    return 0


def _cmd_status(args, state_dir, out):
    if load_state(state_dir, args.instance, required=False) is None:
        out.write('asd instance %d is not running (never created in %s)\n' % (args.instance, state_dir))
        return 3
    info = instance_status(state_dir, args.instance)
    if args.json:
        out.write(json.dumps(info, sort_keys=True) + '\n')
    else:
        head = ('asd instance %d is running (pid %d)' % (args.instance, info['pid']) if info['running']
                else 'asd instance %d is not running' % args.instance)
        out.write('%s; last start: %s; segments: %d of %d present, %d bytes, %d attached\n'
                  % (head, _describe_start(info['last_start']), info['segments'], info['expected_segments'],
                     info['bytes'], info['attached']))
    return 0 if info['running'] else 3


def _cmd_verify(args, state_dir, out):
    info = verify_instance(state_dir, args.instance)
    if args.json:
        out.write(json.dumps(info, sort_keys=True) + '\n')
    elif info['ok']:
        out.write('index intact: %d segments, %d bytes\n' % (info['segments'], info['bytes']))
    else:
        for problem in info['problems']:
            out.write('%s\n' % problem)
        out.write('index differs from %s: %d problem(s)\n' % (info['compared_with'], len(info['problems'])))
    return 0 if info['ok'] else 1


def _cmd_destroy(args, state_dir, out):
    info = destroy_instance(state_dir, args.instance)
    out.write('destroyed instance %d: removed %d segments\n' % (args.instance, len(info['removed'])))
    return 0


COMMAND_HANDLERS = {'create': _cmd_create, 'start': _cmd_start, 'stop': _cmd_stop, 'status': _cmd_status,
                    'verify': _cmd_verify, 'destroy': _cmd_destroy}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0].startswith('-') and argv[0] not in ('-h', '--help'):
        return aerospike_main(argv)
    args = build_parser().parse_args(argv)
    try:
        return COMMAND_HANDLERS[args.command](args, args.state_dir or default_state_dir(), sys.stdout)
    except SimError as exc:
        sys.stderr.write('asd_sim: %s\n' % exc)
        return 1


if __name__ == '__main__':
    sys.exit(main())
