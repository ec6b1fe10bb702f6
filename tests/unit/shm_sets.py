# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Segments for tests, made with sysv_ipc directly (not through the core under test).

Every test session runs in its own IPC namespace (tests/conftest.py), so the factory may
remove everything it finds there when a test ends.
"""

from __future__ import absolute_import, division, print_function

import os
import struct
import zlib

import sysv_ipc

__metaclass__ = type

PRIMARY, SECONDARY, DATA = 0xAE, 0xA2, 0xAD


def key(type_byte, instance, nsid, sub):
    return (type_byte << 24) | (instance << 20) | (nsid << 12) | sub


def base_bytes(name, n_arenas, version=12, shutdown=1, size=2156):
    """A base segment's content: version@0, shutdown@4, name@1024, n_arenas@2152."""
    buf = bytearray(size)
    struct.pack_into('<II', buf, 0, version, shutdown)
    raw = name.encode()
    buf[1024:1024 + min(len(raw), 32)] = raw[:32]
    if size >= 2156:
        struct.pack_into('<I', buf, 2152, n_arenas)
    return bytes(buf)


def meta_bytes(n_arenas, size=24):
    buf = bytearray(size)
    struct.pack_into('<I', buf, 20, n_arenas)
    return bytes(buf)


def data_bytes(name, size=44, fill=None):
    buf = bytearray(size if fill is None else fill(size))
    raw = name.encode()
    buf[12:12 + min(len(raw), 32)] = raw[:32]
    return bytes(buf)


def segments():
    """{key: dict(shmid, size, nattch, uid, gid, mode)} read from /proc/sysvipc/shm."""
    out = {}
    with open('/proc/sysvipc/shm') as handle:
        for line in handle.read().splitlines()[1:]:
            f = line.split()
            out[int(f[0]) & 0xFFFFFFFF] = {'shmid': int(f[1]), 'mode': int(f[2], 8) & 0o777, 'size': int(f[3]),
                                           'nattch': int(f[6]), 'uid': int(f[7]), 'gid': int(f[8])}
    return out


class ShmFactory:
    """Creates segments, keeps attachments that stand for a running asd, and cleans up."""

    def __init__(self):
        self.attached = []

    def create(self, seg_key, size, content=b'', mode=0o666, uid=None, gid=None):
        memory = sysv_ipc.SharedMemory(seg_key, sysv_ipc.IPC_CREX, 0o600, size, b'\0')
        if content:
            memory.write(content[:size])
        if uid is not None:
            memory.uid = uid
        if gid is not None:
            memory.gid = gid
        memory.mode = mode
        shmid = memory.id
        memory.detach()
        return shmid

    def attach(self, seg_key):
        """Attach like a running server: nattch goes up until detach_all()."""
        memory = sysv_ipc.SharedMemory(seg_key)
        self.attached.append(memory)
        return memory

    def read(self, seg_key):
        memory = sysv_ipc.SharedMemory(seg_key)
        try:
            return memory.read()
        finally:
            memory.detach()

    def write(self, seg_key, data, offset=0):
        memory = sysv_ipc.SharedMemory(seg_key)
        try:
            memory.write(data, offset)
        finally:
            memory.detach()

    def crc(self, seg_key):
        return zlib.crc32(self.read(seg_key))

    def fingerprint(self):
        """{key: (size, uid, gid, mode, crc32)} of every segment: equal before and after a round trip."""
        return dict((k, (v['size'], v['uid'], v['gid'], v['mode'], self.crc(k))) for k, v in segments().items())

    def remove(self, seg_key):
        memory = sysv_ipc.SharedMemory(seg_key)
        memory.remove()
        memory.detach()

    def remove_all(self):
        self.detach_all()
        for seg_key, info in segments().items():
            try:
                sysv_ipc.remove_shared_memory(info['shmid'])
            except sysv_ipc.ExistentialError:
                pass

    def detach_all(self):
        while self.attached:
            self.attached.pop().detach()

    def make_set(self, instance=0, nsid=1, name='test', stages=1, stage_size=4096, base_size=4096, treex_size=4096,
                 sindex_stages=0, sindex_size=4096, stripes=0, stripe_size=4096, data_nsid=None, version=12, shutdown=1,
                 mode=0o666, uid=None, gid=None, random=True, skip=()):
        """A namespace's set as a clean shutdown leaves it; returns {role-ish label: key}.

        Content is random unless random=False, so every round trip is checked byte for byte.
        skip lists labels not to create (e.g. 'treex', 'pi-0x100') to make incomplete sets.
        """
        fill = os.urandom if random else bytes
        made = {}

        def add(label, seg_key, size, content):
            if label not in skip:
                self.create(seg_key, size, content, mode=mode, uid=uid, gid=gid)
            made[label] = seg_key

        base = bytearray(fill(base_size))
        # Random content everywhere except the fields ASMT reads.
        header = base_bytes(name, stages, version, shutdown, max(base_size, 2156))
        for start, end in ((0, 8), (1024, 1056), (2152, 2156)):
            base[start:min(end, base_size)] = header[start:min(end, base_size)]
        add('base', key(PRIMARY, instance, nsid, 0), base_size, bytes(base))
        add('treex', key(PRIMARY, instance, nsid, 1), treex_size, fill(treex_size))
        for i in range(stages):
            add('pi-0x%03x' % (0x100 + i), key(PRIMARY, instance, nsid, 0x100 + i), stage_size, fill(stage_size))
        if sindex_stages:
            meta = bytearray(fill(max(sindex_size, 24)))
            meta[20:24] = struct.pack('<I', sindex_stages)
            add('meta', key(SECONDARY, instance, nsid, 0), max(sindex_size, 24), bytes(meta))
            for i in range(sindex_stages):
                add('si-0x%03x' % (0x100 + i), key(SECONDARY, instance, nsid, 0x100 + i), sindex_size, fill(sindex_size))
        for i in range(stripes):
            content = bytearray(fill(stripe_size))
            content[12:44] = data_bytes(name)[12:44]
            add('data-0x%03x' % i, key(DATA, instance, nsid if data_nsid is None else data_nsid, i), stripe_size,
                bytes(content))
        return made


# Helpers for the behaviour tests (backup, restore, verify, vectors, defects, failures).
# They build what C ASMT would leave on disk and observe the kernel, independently of the core.

ASMT_MAGIC = 0x544D5341
ASMT_MAGIC_SWAPPED = 0x41534D54


def asmt_header(segment_size, crc, magic=ASMT_MAGIC, version=1):
    """The 24-byte .dat.gz header: magic, version, segment size, CRC-32 in a 64-bit field."""
    return struct.pack('<IIQQ', magic, version, segment_size, crc & 0xFFFFFFFF)


def gzip_member(data, wbits=31):
    """One stream as C ASMT writes it: zlib level 1, memLevel 9; wbits 15 gives a zlib wrapper."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, wbits, 9)
    return compressor.compress(data) + compressor.flush()


def asmt_gz(data, magic=ASMT_MAGIC, wbits=31, crc=None, segment_size=None):
    """A whole .dat.gz file as C ASMT 2.2.1 writes it (docs/asmt-format.md §4.2)."""
    return asmt_header(len(data) if segment_size is None else segment_size,
                       zlib.crc32(data) if crc is None else crc, magic) + gzip_member(data, wbits)


def inflate_asmt_gz(blob):
    """(header fields, segment bytes, bytes after the member) of a .dat.gz, decoded with plain zlib."""
    magic, version, size, crc = struct.unpack_from('<IIQQ', blob, 0)
    decompressor = zlib.decompressobj(31)
    data = decompressor.decompress(blob[24:])
    assert decompressor.eof, 'the gzip member does not end'
    return (magic, version, size, crc), data, decompressor.unused_data


def write_files(folder, files, mode=0o600):
    """Write {name: bytes} into folder (created 0700 if missing)."""
    if not os.path.isdir(folder):
        os.mkdir(folder, 0o700)
    for name, data in files.items():
        path = os.path.join(folder, name)
        with open(path, 'wb') as handle:
            handle.write(data)
        os.chmod(path, mode)
    return folder


def c_backup_files(name, instance, nsid, segments_by_sub, compress=True):
    """File name -> content of a backup as C ASMT makes it (no manifest).

    segments_by_sub: [(type_byte, nsid or None, sub, bytes)]; base and meta are never compressed.
    """
    files = {}
    for type_byte, seg_nsid, sub, data in segments_by_sub:
        seg_key = key(type_byte, instance, nsid if seg_nsid is None else seg_nsid, sub)
        plain = (type_byte in (PRIMARY, SECONDARY) and sub == 0) or not compress
        files['%08x%s' % (seg_key, '.dat' if plain else '.dat.gz')] = data if plain else asmt_gz(data)
    return files


def snapshot(folder):
    """{name: (size, mode, uid, gid, crc32)} of every entry of a folder, to prove it was not touched."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        st = os.lstat(path)
        crc = None
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, 'rb') as handle:
                crc = zlib.crc32(handle.read())
        out[name] = (st.st_size, st.st_mode, st.st_uid, st.st_gid, crc)
    return out


def flip_byte(path, offset):
    """XOR one byte of a file with 0xFF; a negative offset counts from the end."""
    with open(path, 'r+b') as handle:
        size = os.fstat(handle.fileno()).st_size
        position = offset if offset >= 0 else size + offset
        handle.seek(position)
        value = handle.read(1)[0]
        handle.seek(position)
        handle.write(bytes([value ^ 0xFF]))


def proc_entries():
    """{key: every column of /proc/sysvipc/shm as a dict} (perms keeps SHM_DEST/SHM_LOCKED bits)."""
    with open('/proc/sysvipc/shm') as handle:
        lines = handle.read().splitlines()
    names = lines[0].split()
    out = {}
    for line in lines[1:]:
        values = dict(zip(names, line.split()))
        out[int(values['key']) & 0xFFFFFFFF] = values
    return out


SHM_LOCK = 11
SHM_UNLOCK = 12


def shm_lock(shmid, lock=True):
    """SHM_LOCK a segment: its shm_perm.mode then carries 02000 (needs CAP_IPC_LOCK; root has it)."""
    import ctypes
    import ctypes.util
    libc = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
    libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    if libc.shmctl(shmid, SHM_LOCK if lock else SHM_UNLOCK, None) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def mount_tmpfs(path, size):
    """Mount a small tmpfs on path (created if missing); unmount it with umount(path)."""
    import subprocess
    if not os.path.isdir(path):
        os.mkdir(path, 0o700)
    subprocess.check_call(['mount', '-t', 'tmpfs', '-o', 'size=%d,mode=0700' % size, 'tmpfs', path])
    return path


def umount(path):
    """Unmount path; lazily when a file there is still open (a writer thread ending), so no mount outlives the test."""
    import subprocess
    if subprocess.call(['umount', path], stderr=subprocess.DEVNULL) != 0:
        subprocess.check_call(['umount', '--lazy', path])


def set_kernel_limit(name, value):
    """Write /proc/sys/kernel/<name> (per IPC namespace: only this test session sees it); return the old value."""
    path = os.path.join('/proc/sys/kernel', name)
    with open(path) as handle:
        old = handle.read().strip()
    with open(path, 'w') as handle:
        handle.write('%s\n' % value)
    return old
