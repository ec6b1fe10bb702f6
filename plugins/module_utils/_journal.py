# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The restore journal: which segments a restore created, so that the same restore run again
can finish one that was killed (SIGKILL, a lost controller, an async timeout).

It lives under /run, which a reboot wipes together with System V memory, so a journal never
outlives the segments it names. The name carries the IPC namespace: segments are per
namespace, and so is the journal.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported by the core
    from urllib import quote  # type: ignore

__metaclass__ = type

RUN_DIR_ENV = 'FASTRESTART_RUN_DIR'
RUN_DIR = '/run/fastrestart.aerospike'
MAX_BYTES = 1 << 20


def run_dir():
    return os.environ.get(RUN_DIR_ENV) or RUN_DIR


def _ipc_namespace():
    try:
        return os.stat('/proc/self/ns/ipc').st_ino
    except OSError:
        return 0


def journal_name(instance, namespace):
    return 'restore-ipc%d-i%d-%s.json' % (_ipc_namespace(), instance, quote(namespace, safe=''))


def _open_dir(create):
    """The journal folder, checked like a backup folder: only root may write what we trust."""
    path = run_dir()
    if create and not os.path.isdir(path):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    return _folder.open_trusted(path)


class Journal:
    """The journal of one running restore of one namespace."""

    def __init__(self, instance, namespace, backup_path):
        self.name = journal_name(instance, namespace)
        self.document = {'boot_id': _host.boot_id(), 'pid': os.getpid(), 'started': time.time(),
                         'instance': instance, 'namespace': namespace, 'path': backup_path, 'segments': []}
        self.folder = _open_dir(create=True)

    def record(self, key, shmid):
        """Add a created segment; written before anything is put into it."""
        self.document['segments'].append({'key': '0x%08x' % key, 'shmid': shmid, 'created': time.time()})
        self._write()

    def intend(self, keys):
        """Name the keys before creating any: a kill between a create and its record stays traceable."""
        self.document['keys'] = ['0x%08x' % k for k in keys]
        self._write()

    def _write(self):
        _manifest.write_atomic(self.folder, self.name, self.document)

    def close(self, remove=True):
        if remove:
            self.folder.unlink_quietly(self.name)
        self.folder.close()


def load(instance, namespace):
    """The journal a restore of this boot left for this namespace, or None."""
    try:
        folder = _open_dir(create=False)
    except (OSError, _folder.UntrustedFolder):
        return None
    try:
        fd, st = folder.open_regular(journal_name(instance, namespace))
    except OSError:
        folder.close()
        return None
    try:
        document = json.loads(os.read(fd, MAX_BYTES).decode('utf-8')) if st.st_size <= MAX_BYTES else None
    except (ValueError, RecursionError):
        document = None
    finally:
        os.close(fd)
        folder.close()
    if not isinstance(document, dict) or document.get('boot_id') != _host.boot_id():
        return None
    return document


def owns(document, entries):
    """True when the journal's (dead) restore made every one of these segments.

    A segment counts as its own when the journal records its shmid, or when it has one of
    the journal's keys and was created by the journal's process (a kill between the create
    and the record).
    """
    pid = document.get('pid')
    recorded = set((s.get('key'), s.get('shmid')) for s in document.get('segments', []) if isinstance(s, dict))
    keys = set(document.get('keys') or [])
    for entry in entries:
        key = '0x%08x' % entry.key
        if (key, entry.shmid) not in recorded and not (key in keys and entry.cpid == pid):
            return False
    return bool(entries)


def remove(instance, namespace):
    try:
        folder = _open_dir(create=False)
    except (OSError, _folder.UntrustedFolder):
        return
    folder.unlink_quietly(journal_name(instance, namespace))
    folder.close()
