# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""System V shared memory on real segments of the session's private IPC namespace."""

from __future__ import absolute_import, division, print_function

import errno
import os
import subprocess
import sys

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_ctypes
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_sysvipc
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    MissingLibraryError,
    UsageError,
)

__metaclass__ = type

BASE_KEY = 0xAE001000          # negative as a signed key_t: -1375727616
LOW_KEY = 0x12345678           # positive either way


def by_key(entries):
    return dict((e.key, e) for e in entries)


def test_list_segments_reads_signed_keys_as_unsigned(shm):
    base = shm.create(BASE_KEY, 4096, mode=0o640, uid=65534, gid=65534)
    low = shm.create(LOW_KEY, 100)
    with open(_sysv.PROC_SHM) as handle:
        text = handle.read()
    assert ' -1375727616 ' in ' %s ' % ' '.join(text.split())   # the kernel prints key_t signed
    entries = by_key(_sysv.list_segments())
    assert set(entries) == {BASE_KEY, LOW_KEY}
    entry = entries[BASE_KEY]
    assert (entry.shmid, entry.size, entry.nattch, entry.uid, entry.gid, entry.mode) == (base, 4096, 0, 65534, 65534, 0o640)
    assert (entry.cuid, entry.cgid) == (0, 0)
    assert entries[LOW_KEY].shmid == low


def test_list_segments_counts_attachments(shm):
    shm.create(BASE_KEY, 4096)
    shm.attach(BASE_KEY)
    shm.attach(BASE_KEY)
    assert by_key(_sysv.list_segments())[BASE_KEY].nattch == 2
    shm.detach_all()
    assert by_key(_sysv.list_segments())[BASE_KEY].nattch == 0


PROC_TEXT = """\
key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap
-1375727616 3 1600 4096 100 101 1 0 0 0 0 1700000000 1700000001 1700000002 4096 0
-1375727615 4 2640 8192 100 101 0 998 997 0 0 0 0 1700000002 0 0
305419896 5 666 17179869184 100 101 0 0 0 0 0 0 0 1700000002 0 0
short line
"""


def test_list_segments_parses_proc_text(tmp_path):
    proc = tmp_path / 'shm'
    proc.write_text(PROC_TEXT)
    entries = _sysv.list_segments(str(proc))
    assert [e.key for e in entries] == [0xAE001000, 0xAE001001, 0x12345678]
    # SHM_DEST (01000) and SHM_LOCKED (02000) stay in perms but never reach the mode
    assert [(e.perms, e.mode) for e in entries] == [(0o1600, 0o600), (0o2640, 0o640), (0o666, 0o666)]
    assert entries[2].size == 16 << 30
    assert (entries[1].uid, entries[1].gid, entries[0].nattch, entries[0].atime) == (998, 997, 1, 1700000000)


def test_attaching_pids_names_every_process(shm):
    shmid = shm.create(BASE_KEY, 4096)
    other = shm.create(LOW_KEY, 4096)
    assert _sysv.attaching_pids([shmid, other]) == {shmid: [], other: []}
    shm.attach(BASE_KEY)
    child = subprocess.Popen(
        [sys.executable, '-c', 'import sys, sysv_ipc; m = sysv_ipc.attach(%d); print("ready", flush=True); '
                               'sys.stdin.read()' % shmid],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b'ready'
        found = _sysv.attaching_pids([shmid, other])
        assert found == {shmid: sorted([os.getpid(), child.pid]), other: []}
    finally:
        child.stdin.close()
        child.wait(10)
        child.stdout.close()
    assert _sysv.attaching_pids([shmid]) == {shmid: [os.getpid()]}


def test_attaching_pids_of_nothing():
    assert _sysv.attaching_pids([]) == {}
    assert _sysv.attaching_pids([123456789]) == {123456789: []}


def test_read_only_attachment(shm):
    shmid = shm.create(BASE_KEY, 4096, content=b'hello')
    with _sysv.Attachment(shmid, readonly=True) as attachment:
        assert attachment.readonly and attachment.size == 4096
        assert attachment.view.readonly
        assert bytes(attachment.view[:5]) == b'hello'
        with pytest.raises(TypeError):
            attachment.view[0:1] = b'x'
        assert by_key(_sysv.list_segments())[BASE_KEY].nattch == 1
        # the kernel mapped it read-only too
        assert any('/SYSV%08x' % BASE_KEY in line and ' r--s ' in line for line in open('/proc/self/maps'))
    assert not attachment.attached
    with pytest.raises(ValueError):
        attachment.view[0]  # pylint: disable=pointless-statement
    attachment.detach()  # twice is harmless
    assert by_key(_sysv.list_segments())[BASE_KEY].nattch == 0
    assert shm.read(BASE_KEY)[:5] == b'hello'


def test_read_write_attachment(shm):
    shmid = shm.create(BASE_KEY, 4096)
    attachment = _sysv.Attachment(shmid, readonly=False)
    try:
        assert not attachment.view.readonly
        attachment.view[10:15] = b'world'
        assert attachment.address > 0
    finally:
        attachment.detach()
    assert shm.read(BASE_KEY)[10:15] == b'world'


def test_set_owner_masks_the_mode(shm):
    shmid = shm.create(BASE_KEY, 4096, mode=0o600)
    with _sysv.Attachment(shmid, readonly=False) as attachment:
        attachment.set_owner(65534, 65533, 0o3640)
    entry = by_key(_sysv.list_segments())[BASE_KEY]
    assert (entry.uid, entry.gid, entry.perms & 0o7777, entry.cuid) == (65534, 65533, 0o640, 0)


def test_read_prefix(shm):
    content = os.urandom(3000)
    shmid = shm.create(BASE_KEY, 3000, content=content)
    assert _sysv.read_prefix(shmid, 2156) == content[:2156]
    assert _sysv.read_prefix(shmid, 10000) == content
    assert by_key(_sysv.list_segments())[BASE_KEY].nattch == 0


def test_create_segment_is_exclusive_zero_filled_and_0600(shm):
    shmid = _sysv.create_segment(BASE_KEY, 12345)
    entry = by_key(_sysv.list_segments())[BASE_KEY]
    assert (entry.shmid, entry.size, entry.mode, entry.uid, entry.nattch) == (shmid, 12345, 0o600, 0, 0)
    assert shm.read(BASE_KEY) == bytes(12345)       # the kernel's zero fill, not sysv_ipc's spaces
    with pytest.raises(OSError) as caught:
        _sysv.create_segment(BASE_KEY, 12345)
    assert caught.value.errno == errno.EEXIST
    assert _sysv.strerror(caught.value.errno) == 'error was 17: File exists.'


def test_create_segment_with_a_low_key(shm):
    shmid = _sysv.create_segment(LOW_KEY, 1)
    assert by_key(_sysv.list_segments())[LOW_KEY].shmid == shmid


def test_create_segment_over_shmmax(shm, kernel_limit):
    kernel_limit('shmmax', 1 << 20)
    with pytest.raises(OSError) as caught:
        _sysv.create_segment(BASE_KEY, (1 << 20) + 1)
    assert caught.value.errno == errno.EINVAL
    _sysv.create_segment(BASE_KEY, 1 << 20)


def test_create_segment_over_shmall(shm, kernel_limit):
    page = os.sysconf('SC_PAGE_SIZE')
    kernel_limit('shmall', 4)
    _sysv.create_segment(BASE_KEY, 3 * page)
    with pytest.raises(OSError) as caught:
        _sysv.create_segment(BASE_KEY + 1, 2 * page)
    assert caught.value.errno == errno.ENOSPC


def test_create_segment_over_shmmni(shm, kernel_limit):
    kernel_limit('shmmni', 2)
    _sysv.create_segment(BASE_KEY, 1)
    _sysv.create_segment(BASE_KEY + 1, 1)
    with pytest.raises(OSError) as caught:
        _sysv.create_segment(BASE_KEY + 2, 1)
    assert caught.value.errno == errno.ENOSPC


def test_kernel_limits_are_this_namespaces(kernel_limit):
    limits = _sysv.kernel_limits()
    assert limits['page_size'] == os.sysconf('SC_PAGE_SIZE')
    for name in ('shmmax', 'shmall', 'shmmni'):
        assert limits[name] == int(open('/proc/sys/kernel/%s' % name).read())
    kernel_limit('shmmni', 77)
    assert _sysv.kernel_limits()['shmmni'] == 77


def test_kernel_limits_from_a_folder(tmp_path):
    for name, value in (('shmmax', '18446744073692774399'), ('shmall', '18446744073692774399'), ('shmmni', '4096')):
        (tmp_path / name).write_text(value + '\n')
    limits = _sysv.kernel_limits(str(tmp_path))
    assert (limits['shmmax'], limits['shmall'], limits['shmmni']) == (18446744073692774399, 18446744073692774399, 4096)


@pytest.mark.parametrize('size, page, count', [(1, 4096, 1), (4096, 4096, 1), (4097, 4096, 2), (5 << 30, 4096, 1310720),
                                               (0, 4096, 0)])
def test_pages(size, page, count):
    assert _sysv.pages(size, page) == count


def test_remove_segment(shm):
    shmid = _sysv.create_segment(BASE_KEY, 4096)
    assert _sysv.remove_segment(shmid) is True
    assert BASE_KEY not in by_key(_sysv.list_segments())
    assert _sysv.remove_segment(shmid) is False


def test_remove_attached_segment_waits_for_the_last_detach(shm):
    shmid = _sysv.create_segment(BASE_KEY, 4096)
    attachment = _sysv.Attachment(shmid, readonly=True)
    try:
        assert _sysv.remove_segment(shmid) is True
        # the kernel keeps it, marked SHM_DEST and with key IPC_PRIVATE, until the last detach
        entry = [e for e in _sysv.list_segments() if e.shmid == shmid][0]
        assert entry.perms & 0o1000 and entry.key == 0 and entry.mode == 0o600
    finally:
        attachment.detach()
    assert [e for e in _sysv.list_segments() if e.shmid == shmid] == []


def test_populate(shm):
    shmid = _sysv.create_segment(BASE_KEY, 1 << 20)
    with _sysv.Attachment(shmid, readonly=False) as attachment:
        assert _sysv.populate(attachment.address, 1 << 20) in (True, False)
        assert _sysv.populate(attachment.address, 0) is False
        attachment.view[-1:] = b'z'
    assert shm.read(BASE_KEY)[-1:] == b'z'


@pytest.mark.parametrize('key, signed', [(0, 0), (0x7FFFFFFF, 0x7FFFFFFF), (0x80000000, -(1 << 31)),
                                         (0xAE001000, -1375727616), (-1375727616, -1375727616), (0xFFFFFFFF, -1)])
def test_signed(key, signed):
    assert _sysv._signed(key) == signed  # pylint: disable=protected-access


def test_strerror():
    assert _sysv.strerror(errno.ENOSPC) == 'error was 28: No space left on device.'
    assert _sysv.strerror(0) == ''


def test_the_backend_is_the_one_the_environment_names(sysv_backend):
    assert _sysv.backend_name() == sysv_backend
    assert _sysv.backend().NAME == sysv_backend


def test_sysv_ipc_is_preferred_where_installed(monkeypatch):
    monkeypatch.delenv(_sysv.BACKEND_ENV)
    assert _sysv.backend_name() == 'sysv_ipc'
    monkeypatch.setenv(_sysv.BACKEND_ENV, ' ')
    assert _sysv.backend_name() == 'sysv_ipc'
    monkeypatch.setattr(_sysv_sysvipc, 'HAS_SYSV_IPC', False)
    assert _sysv.backend_name() == 'ctypes'


def test_asking_for_a_missing_sysv_ipc(shm, monkeypatch):
    monkeypatch.setenv(_sysv.BACKEND_ENV, 'sysv_ipc')
    monkeypatch.setattr(_sysv_sysvipc, 'HAS_SYSV_IPC', False)
    monkeypatch.setattr(_sysv_sysvipc, 'IMPORT_ERROR', 'ImportError: no sysv_ipc')
    shmid = shm.create(BASE_KEY, 4096)
    with pytest.raises(MissingLibraryError) as caught:
        _sysv.Attachment(shmid)
    assert caught.value.msg == ('the Python library sysv_ipc is required (FASTRESTART_SYSV_BACKEND=sysv_ipc asks for '
                                'it; unset it to use the C library through ctypes); install it (pip install sysv_ipc) '
                                'on the host')
    assert caught.value.traceback == 'ImportError: no sysv_ipc'
    # listing needs no library
    assert [e.shmid for e in _sysv.list_segments()] == [shmid]
    monkeypatch.delenv(_sysv.BACKEND_ENV)
    assert _sysv.read_prefix(shmid, 4) == bytes(4)


@pytest.mark.parametrize('value', ['posix', 'CTYPES', 'sysv-ipc'])
def test_an_unknown_backend_is_a_usage_error(monkeypatch, value):
    monkeypatch.setenv(_sysv.BACKEND_ENV, value)
    with pytest.raises(UsageError) as caught:
        _sysv.backend_name()
    assert caught.value.msg == ('FASTRESTART_SYSV_BACKEND=%s names no System V backend: use ctypes or sysv_ipc, '
                                'or unset it' % value)


def test_a_machine_without_a_known_layout(monkeypatch):
    monkeypatch.setattr(_sysv_ctypes.platform, 'machine', lambda: 'ppc64le')
    monkeypatch.setenv(_sysv.BACKEND_ENV, 'ctypes')
    with pytest.raises(UsageError) as caught:
        _sysv.backend_name()
    assert 'FASTRESTART_SYSV_BACKEND=ctypes cannot run here' in caught.value.msg
    monkeypatch.delenv(_sysv.BACKEND_ENV)
    assert _sysv.backend_name() == 'sysv_ipc'
    monkeypatch.setattr(_sysv_sysvipc, 'HAS_SYSV_IPC', False)
    with pytest.raises(MissingLibraryError) as caught:
        _sysv.backend_name()
    assert 'the C library backend cannot run here' in caught.value.msg


def _errno_as_nobody(shmid):
    """The errno a process of uid/gid 65534 gets attaching shmid, through the backend under test."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 0
        try:
            os.setgid(65534)
            os.setuid(65534)
            _sysv.Attachment(shmid, readonly=True).detach()
        except OSError as exc:
            code = exc.errno
        except BaseException:  # pylint: disable=broad-except
            code = -1
        os.write(write_end, str(code).encode())
        os._exit(0)  # pylint: disable=protected-access
    os.close(write_end)
    try:
        return int(os.read(read_end, 100))
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def test_errors_carry_the_kernels_errno(shm):
    shmid = shm.create(BASE_KEY, 4096, mode=0o600)
    assert _errno_as_nobody(shmid) == errno.EACCES
    shm.create(LOW_KEY, 4096, mode=0o644)
    assert _errno_as_nobody(entry_of(LOW_KEY).shmid) == 0
    with pytest.raises(OSError) as caught:
        _sysv.create_segment(BASE_KEY, 4096)
    assert caught.value.errno == errno.EEXIST
    shm.remove_all()
    with pytest.raises(OSError) as caught:
        _sysv.Attachment(shmid)
    assert (caught.value.errno, caught.value.strerror) == (errno.EINVAL, 'Invalid argument')


def test_a_removed_segment_lives_until_the_last_detach(shm):
    shmid = shm.create(BASE_KEY, 4096)
    attachment = _sysv.Attachment(shmid, readonly=False)
    try:
        attachment.remove()
        attachment.remove()                 # marking twice is harmless
        attachment.set_owner(1, 2, 0o640)   # a segment marked for removal still takes IPC_SET
        entry = [e for e in _sysv.list_segments() if e.shmid == shmid][0]
        assert (entry.key, entry.uid, entry.gid, entry.mode, entry.perms & 0o1000) == (0, 1, 2, 0o640, 0o1000)
    finally:
        attachment.detach()
    assert shm_sets.segments() == {}
    with pytest.raises(OSError) as caught:
        _sysv.Attachment(shmid)
    assert caught.value.errno == errno.EINVAL


def entry_of(seg_key):
    return by_key(_sysv.list_segments())[seg_key]


def test_factory_segments_agree_with_list_segments(shm):
    made = shm.make_set(instance=2, nsid=3, stages=2, stripes=2, sindex_stages=1)
    listed = by_key(_sysv.list_segments())
    assert set(listed) == set(made.values())
    for seg_key, info in shm_sets.segments().items():
        assert (listed[seg_key].shmid, listed[seg_key].size, listed[seg_key].mode) == (
            info['shmid'], info['size'], info['mode'])
