# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ctypes backend itself: struct layouts, views, owner changes, detaching under live views."""

from __future__ import absolute_import, division, print_function

import ctypes
import errno

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_ctypes

__metaclass__ = type

BASE_KEY = 0xAE001000


def entry(seg_key):
    return dict((e.key, e) for e in _sysv.list_segments())[seg_key]


def mapped(address):
    """The line of /proc/self/maps whose range holds address, or None.

    The kernel may merge an anonymous mapping with its neighbours, so the line need not start there.
    """
    with open('/proc/self/maps') as handle:
        for line in handle:
            start, end = (int(bound, 16) for bound in line.split()[0].split('-'))
            if start <= address < end:
                return line
    return None


@pytest.mark.parametrize('machine, mode_size', [('x86_64', 2), ('aarch64', 4)])
def test_struct_layouts_are_glibcs(machine, mode_size):
    layout = _sysv_ctypes.layout(machine)
    perm = layout.shm_perm.offset
    assert (ctypes.sizeof(layout), perm, layout.shm_perm.size) == (112, 0, 48)
    fields = dict((field[0], (getattr(layout, field[0]).offset, getattr(layout, field[0]).size))
                  for field in layout._fields_)
    assert fields['shm_segsz'] == (48, 8)
    assert (fields['shm_atime'], fields['shm_dtime'], fields['shm_ctime']) == ((56, 8), (64, 8), (72, 8))
    assert (fields['shm_cpid'], fields['shm_lpid'], fields['shm_nattch']) == ((80, 4), (84, 4), (88, 8))
    ipc_perm = dict(layout._fields_)['shm_perm']
    assert (ipc_perm.uid.offset, ipc_perm.gid.offset, ipc_perm.cuid.offset, ipc_perm.cgid.offset) == (4, 8, 12, 16)
    assert (ipc_perm.mode.offset, ipc_perm.mode.size) == (20, mode_size)
    assert (ipc_perm.seq.offset, ipc_perm.reserved1.offset, ipc_perm.reserved2.offset) == (24, 32, 40)


def test_unknown_machines_have_no_layout(monkeypatch):
    assert _sysv_ctypes.layout('ppc64le') is None
    assert _sysv_ctypes.unsupported() is None
    monkeypatch.setattr(_sysv_ctypes.platform, 'machine', lambda: 's390x')
    assert 'x86_64 and aarch64 only, not s390x' in _sysv_ctypes.unsupported()


def test_stat_agrees_with_proc(shm):
    shmid = shm.create(BASE_KEY, 10000, mode=0o640, uid=65534, gid=65533)
    shm.attach(BASE_KEY)
    info = _sysv_ctypes.stat(shmid)
    listed = entry(BASE_KEY)
    assert (info.shm_perm.key & 0xFFFFFFFF, info.shm_segsz, info.shm_nattch, info.shm_cpid) == (
        BASE_KEY, 10000, 1, listed.cpid)
    assert (info.shm_perm.uid, info.shm_perm.gid, info.shm_perm.mode & 0o777) == (65534, 65533, 0o640)
    assert (info.shm_perm.cuid, info.shm_perm.cgid, info.shm_ctime) == (listed.cuid, listed.cgid, listed.ctime)
    shm.detach_all()


def test_read_only_view_refuses_writes(shm):
    shmid = shm.create(BASE_KEY, 5000, content=b'hello')
    with _sysv_ctypes.Attachment(shmid, readonly=True) as attachment:
        assert (attachment.size, attachment.readonly, attachment.shmid) == (5000, True, shmid)
        assert attachment.view.readonly and len(attachment.view) == 5000 and attachment.view.format == 'B'
        with pytest.raises(TypeError):
            attachment.view[0:1] = b'x'
        with pytest.raises(TypeError):
            (ctypes.c_char * 5).from_buffer(attachment.view)
        assert ' r--s ' in mapped(attachment.address)
        assert bytes(attachment.view[:5]) == b'hello'
    assert shm.read(BASE_KEY)[:5] == b'hello'


def test_set_owner_round_trip_through_proc(shm):
    shmid = shm.create(BASE_KEY, 4096, mode=0o600)
    before = entry(BASE_KEY)
    with _sysv_ctypes.Attachment(shmid, readonly=False) as attachment:
        attachment.set_owner(65534, 65533, 0o7640)
        after = entry(BASE_KEY)
        assert (after.uid, after.gid, after.perms & 0o7777) == (65534, 65533, 0o640)
        assert (after.cuid, after.cgid, after.size, after.cpid) == (before.cuid, before.cgid, 4096, before.cpid)
        attachment.set_owner(0, 0, 0o600)
    assert (entry(BASE_KEY).uid, entry(BASE_KEY).gid, entry(BASE_KEY).mode) == (0, 0, 0o600)


def test_detach_unmaps_the_segment(shm):
    shmid = shm.create(BASE_KEY, 4096)
    attachment = _sysv_ctypes.Attachment(shmid, readonly=False)
    address = attachment.address
    assert '/SYSV%08x' % BASE_KEY in mapped(address) and attachment.attached
    attachment.detach()
    assert mapped(address) is None and not attachment.attached
    assert entry(BASE_KEY).nattch == 0
    with pytest.raises(ValueError):
        attachment.view[0]  # pylint: disable=pointless-statement


@pytest.mark.parametrize('readonly', [True, False])
def test_detach_with_a_live_slice_detaches_and_leaves_zeros(shm, readonly):
    shmid = shm.create(BASE_KEY, 10000, content=b'\x01' * 10000)
    attachment = _sysv_ctypes.Attachment(shmid, readonly=readonly)
    address = attachment.address
    piece = attachment.view[100:200]
    assert bytes(piece) == b'\x01' * 100
    attachment.detach()
    # The kernel counts the detach now; the slice reads zero pages instead of faulting.
    assert entry(BASE_KEY).nattch == 0 and not attachment.attached
    placeholder = mapped(address)
    assert placeholder is not None and '/SYSV' not in placeholder
    assert bytes(piece) == bytes(100)
    if not readonly:
        piece[0:1] = b'z'       # lands in private pages, never in the segment
    del piece
    assert mapped(address) is None
    assert shm.read(BASE_KEY) == b'\x01' * 10000


def test_detach_while_a_consumer_holds_the_buffer(shm):
    shmid = shm.create(BASE_KEY, 4096, content=b'abcd')
    attachment = _sysv_ctypes.Attachment(shmid, readonly=False)
    held = (ctypes.c_char * 4).from_buffer(attachment.view)
    assert held.raw == b'abcd'
    attachment.detach()     # the view cannot be released while held: displaced instead
    assert entry(BASE_KEY).nattch == 0
    assert held.raw == bytes(4)
    del held
    assert mapped(attachment.address) is None


def test_remove_marks_the_segment(shm):
    shmid = shm.create(BASE_KEY, 4096)
    with _sysv_ctypes.Attachment(shmid, readonly=True) as attachment:
        attachment.remove()
        assert [e.key for e in _sysv.list_segments() if e.shmid == shmid] == [0]   # IPC_PRIVATE, SHM_DEST
    assert shm_sets.segments() == {}
    with pytest.raises(OSError) as caught:
        _sysv_ctypes.stat(shmid)
    assert caught.value.errno == errno.EINVAL


def test_attach_of_a_missing_segment(shm):
    shmid = shm.create(BASE_KEY, 4096)
    shm.remove_all()
    with pytest.raises(OSError) as caught:
        _sysv_ctypes.Attachment(shmid)
    assert caught.value.errno == errno.EINVAL and caught.value.strerror == 'Invalid argument'
