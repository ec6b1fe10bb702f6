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
        fill = os.urandom if random else (lambda n: bytes(n))
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
