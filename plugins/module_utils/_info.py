# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Facts about a host: its kernel's shared memory, the namespaces in it, and backup folders.

Read-only: segments are attached only briefly and read-only (to read names), and files are
listed and stat'ed, never read in full, so gathering facts is cheap enough for every play.
"""

from __future__ import absolute_import, division, print_function

import errno
import json
import os
import stat

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _boot_restore
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._capacity import (
    required_limits,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._codec import (
    get_codec,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    file_members,
    folder_entries,
    live_members,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
    UsageError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
    TYPE_DATA,
    TYPE_PRIMARY,
    TYPE_SECONDARY,
    decode,
    stage_text,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._layout import (
    CLEAN_SHUTDOWN,
    name_matches,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    Request,
)

__metaclass__ = type

MEMINFO = _sysv.MEMINFO

TYPE_NAMES = {TYPE_PRIMARY: 'primary', TYPE_SECONDARY: 'secondary', TYPE_DATA: 'data'}

# Backup folder states, from the most to the least telling.
COMPLETE = 'complete'
IN_PROGRESS = 'in_progress'
ASMT = 'asmt'
EMPTY = 'empty'
MISSING = 'missing'
INVALID = 'invalid'


def kernel_facts(entries=None, meminfo=MEMINFO):
    """Limits and usage of this IPC namespace's shared memory, and the memory left for more."""
    if entries is None:
        entries = _sysv.list_segments()
    limits = _sysv.kernel_limits()
    page = limits['page_size']
    facts = dict(limits)
    facts.update({
        'segments': len(entries),
        'pages_in_use': sum(_sysv.pages(e.size, page) for e in entries),
        'bytes_in_use': sum(e.size for e in entries),
        'mem_available': _sysv.mem_available(meminfo),
    })
    return facts


def namespace_members(members, namespace):
    """Every member of one instance that belongs to namespace, with the base it was found by.

    Unlike a backup's set, this is everything that is the namespace's, complete or not: the
    base's primary and secondary keys (secondary stages without a meta included) and the data
    stripes carrying its name. With no base of that name, its data stripes alone (orphan).
    Returns (base member or None, [members]); an ambiguous name gives two or more bases.
    """
    bases = [m for m in members if m.key.role == BASE and name_matches(m.name, namespace)]
    data = [m for m in members if m.key.role == DATA and name_matches(m.name, namespace)]
    found = list(data)
    for base in bases:
        found.extend(m for m in members if m.key.type_byte in (TYPE_PRIMARY, TYPE_SECONDARY)
                     and m.key.nsid == base.key.nsid)
    found.sort(key=lambda m: m.key.order)
    return bases, found


def _namespace_names(members):
    """Names that bases and data stripes carry, in order of first appearance by key."""
    names = []
    for member in sorted(members, key=lambda m: m.key.order):
        if member.key.role in (BASE, DATA) and member.name and member.name not in names:
            names.append(member.name)
    return names


def _segment_fact(member, pids):
    key = member.key
    return {
        'key': key.hex,
        'type': TYPE_NAMES[key.type_byte],
        'role': key.role,
        'stage': None if key.stage is None else stage_text(key.stage),
        'size': member.size,
        'uid': member.uid,
        'gid': member.gid,
        'mode': '0%03o' % member.mode,
        'nattch': member.nattch,
        'pids': pids.get(member.shmid, []),
    }


def _namespace_fact(instance, namespace, bases, members, pids):
    base = bases[0] if len(bases) == 1 else None
    header = base.base if base is not None else None
    attached = [m for m in members if m.nattch]
    return {
        'instance': instance,
        'namespace': namespace,
        'nsid': base.key.nsid if base is not None else (members[0].key.nsid if members else None),
        'bytes': sum(m.size for m in members),
        'segment_count': len(members),
        'base_present': bool(bases),
        'base_version': header.version if header is not None else None,
        'clean_shutdown': (header.shutdown == CLEAN_SHUTDOWN) if header is not None else None,
        'attached': bool(attached),
        'pids': sorted(set(p for m in attached for p in pids.get(m.shmid, []))),
        'orphan': not bases,
        'segments': [_segment_fact(m, pids) for m in members],
    }


def instances_in(entries):
    return sorted(set(key.instance for key in (decode(e.key) for e in entries) if key is not None))


def namespace_facts(instance=None, namespaces=None, entries=None):
    """Namespaces found in shared memory, per instance, and the Aerospike segments no namespace claims.

    Returns (namespaces, unclaimed): namespaces is a list of dicts as shm_info documents them;
    unclaimed lists the Aerospike segments (of the instances looked at) that no base or data
    stripe name ties to a namespace, e.g. stages left behind by a crash.
    """
    namespaces = Request.facts(instance, namespaces).namespaces
    if entries is None:
        entries = _sysv.list_segments()
    instances = [instance] if instance is not None else instances_in(entries)
    out = []
    unclaimed = []
    for inst in instances:
        members = live_members(inst, entries)
        if not members:
            continue
        pids = _sysv.attaching_pids([m.shmid for m in members if m.nattch])
        claimed = set()
        for name in _namespace_names(members):
            bases, found = namespace_members(members, name)
            claimed.update(m.key.key for m in found)
            if namespaces and name not in namespaces:
                continue
            out.append(_namespace_fact(inst, name, bases, found, pids))
        if not namespaces:
            unclaimed.extend(_segment_fact(m, pids) for m in sorted(members, key=lambda m: m.key.order)
                             if m.key.key not in claimed)
    return out, unclaimed


def _manifest_namespace(document):
    files = document['files']
    return {
        'instance': document.get('instance'),
        'namespace': document.get('namespace'),
        'state': COMPLETE,
        'bytes': sum(f['segment_size'] for f in files),
        'file_bytes': sum(f['file_size'] for f in files),
        'compressed': bool(document.get('compressed')),
        'boot_id': document.get('boot_id'),
        'time': document.get('created'),
        'epoch': document.get('created_epoch'),
        'host': document.get('host'),
        'manifest': document['path'],
        'files': [f['file'] for f in files],
    }


def _marker_namespace(instance, namespace, marker):
    fact = {'instance': instance, 'namespace': namespace, 'state': IN_PROGRESS, 'bytes': 0, 'file_bytes': 0,
            'compressed': None, 'boot_id': None, 'time': None, 'epoch': None, 'host': None, 'manifest': None,
            'marker': marker, 'files': []}
    if marker is None:
        return fact
    try:
        document = _load_json(marker)
        fact.update({'boot_id': document.get('boot_id'), 'time': document.get('started'), 'host': document.get('host')})
    except (IOError, OSError, ValueError):
        pass
    return fact


def _load_json(path):
    with open(path, 'rb') as handle:
        document = json.loads(handle.read().decode('utf-8'))
    if not isinstance(document, dict):
        raise ValueError('not a JSON object')
    return document


def _asmt_namespaces(path, instance, names, covered, codec):
    """Namespaces of files no manifest covers, as C ASMT (or a hand) left them."""
    out = []
    for inst in sorted(set(key.instance for key, _compressed in names.values())):
        if instance is not None and inst != instance:
            continue
        members = [m for m in file_members(path, inst, codec, names) if m.file not in covered]
        for name in _namespace_names(members):
            bases, found = namespace_members(members, name)
            found = [m for m in found if m.file not in covered]
            if not found:
                continue
            header = bases[0].base if len(bases) == 1 else None
            out.append({
                'instance': inst,
                'namespace': name,
                'state': ASMT,
                'bytes': sum(m.size for m in found),
                'file_bytes': sum(m.file_size or 0 for m in found),
                'compressed': any(m.compressed for m in found),
                'boot_id': None,
                'time': None,
                'epoch': None,
                'host': None,
                'manifest': None,
                'clean_shutdown': None if header is None else header.shutdown == CLEAN_SHUTDOWN,
                'files': sorted(m.file for m in found),
            })
    return out


def backup_facts(path, instance=None, namespaces=None, current_boot_id=None, codec='auto'):
    """What a backup folder holds, from its manifests, markers and file names (contents unread)."""
    namespaces = Request.facts(instance, namespaces).namespaces
    if current_boot_id is None:
        current_boot_id = _host.boot_id()
    path = os.path.abspath(path)
    fact = _folder_fact(path)
    if not fact['exists']:
        if os.path.lexists(path):
            fact['state'] = INVALID
            fact['error'] = '%s exists and is not a folder' % path
        return fact
    listed = [n for n in _folder_namespaces(path, instance, codec) if (instance is None or n['instance'] == instance)
              and (not namespaces or n['namespace'] in namespaces)]
    fact['state'] = _folder_state(set(n['state'] for n in listed))
    newest = max((n for n in listed if n['state'] == COMPLETE), key=lambda n: n['epoch'] or 0, default=None)
    if newest is not None:
        fact['boot_id'] = newest['boot_id']
        fact['time'] = newest['time']
        fact['same_boot'] = None if current_boot_id is None or newest['boot_id'] is None else \
            newest['boot_id'] == current_boot_id
    for entry in listed:
        entry.pop('epoch', None)
    fact['namespaces'] = listed
    fact['bytes'] = sum(n['bytes'] for n in listed)
    return fact


def _folder_fact(path):
    """A folder's description before its contents are read: missing until shown otherwise."""
    return {
        'path': path,
        'exists': os.path.isdir(path),
        'state': MISSING,
        'namespaces': [],
        'bytes': 0,
        'boot_id': None,
        'time': None,
        'same_boot': None,
        'free_bytes': _folder.free_bytes(path),
        'filesystem': _existing_filesystem(path),
        'volatile': bool(_folder.volatile_filesystem(path)),
    }


def _folder_namespaces(path, instance, codec):
    """Every backup in the folder: by manifest or marker, then the files no manifest covers."""
    listed = []
    covered = set()
    for (inst, name), kinds in sorted(_manifest.find(path).items()):
        if 'manifest' not in kinds:
            listed.append(_marker_namespace(inst, name, kinds['marker']))
            continue
        try:
            document = _manifest.load(kinds['manifest'])
        except IntegrityError as exc:
            entry = _marker_namespace(inst, name, kinds.get('marker'))
            entry.update({'state': INVALID, 'manifest': kinds['manifest'], 'error': exc.msg})
            listed.append(entry)
            continue
        covered.update(f['file'] for f in document['files'])
        entry = _manifest_namespace(document)
        if 'marker' in kinds:
            entry['state'] = IN_PROGRESS
            entry['marker'] = kinds['marker']
        listed.append(entry)
    names = folder_entries(path)[0]
    return listed + _asmt_namespaces(path, instance, names, covered, get_codec(codec))


def _folder_state(states):
    """The folder's state: its most telling namespace's (an unfinished backup first)."""
    for state in (IN_PROGRESS, INVALID, COMPLETE, ASMT):
        if state in states:
            return state
    return EMPTY


def _existing_filesystem(path):
    try:
        return _folder.filesystem_type(_folder.existing_ancestor(path))
    except (IOError, OSError):
        return None


def backup_folders(root):
    """The folders directly under root, newest first by modification time.

    The same list the roles made with ansible.builtin.find (file_type directory, not
    recursive) sorted by mtime, newest first: hidden names and symbolic links are left out, as
    find leaves them out. Equal times fall back to the name, newest-looking last name first,
    so the order does not depend on the file system's listing order. A root that does not
    exist holds no backups yet: that is not an error (the first backup creates it).
    """
    root = os.path.abspath(root)
    try:
        names = os.listdir(root)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return []
        if exc.errno == errno.ENOTDIR:
            raise UsageError('backup_root %s is not a folder: name the folder that holds the backup folders' % root,
                             path=root)
        raise UsageError('cannot list backup_root %s: %s' % (root, exc.strerror), path=root)
    found = []
    for name in names:
        if name.startswith('.'):
            continue
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue  # removed while we looked: no longer a backup
        if stat.S_ISDIR(st.st_mode):
            found.append((st.st_mtime, name, path))
    found.sort(reverse=True)
    return [path for _mtime, _name, path in found]


def boot_restore_facts(state_file):
    """The boot-restore service's record (its state file, and its hold file beside it), or None."""
    if not state_file:
        return None
    state = _boot_restore.load_json(state_file)
    hold = _boot_restore.load_json(os.path.join(os.path.dirname(state_file), os.path.basename(_boot_restore.HOLD_FILE)))
    return _boot_restore.report(state, hold)


def gather(instance=None, namespaces=None, paths=None, entries=None, meminfo=MEMINFO, boot_restore_state=None,
           backup_root=None):
    """Everything shm_info returns: backups describes paths, then backup_root's folders newest first."""
    namespaces = Request.facts(instance, namespaces).namespaces
    paths = list(paths or [])
    if backup_root:
        paths.extend(backup_folders(backup_root))
    # First: a backend the environment names but the host lacks fails before anything is read.
    backend = _sysv.backend_name()
    if entries is None:
        entries = _sysv.list_segments()
    current = _host.boot_id()
    found, unclaimed = namespace_facts(instance, namespaces, entries)
    # What restoring these namespaces would take, e.g. from the backup a stop is about to make.
    create = [(int(seg['key'], 16), seg['size']) for ns in found for seg in ns['segments']]
    return {
        'boot_id': current,
        'hostname': _host.hostname(),
        'kernel': kernel_facts(entries, meminfo),
        'required_limits': required_limits(create, entries),
        'namespaces': found,
        'unclaimed_segments': unclaimed,
        'backups': [backup_facts(p, instance, namespaces, current) for p in paths],
        'sysv_backend': backend,
        'boot_restore': boot_restore_facts(boot_restore_state),
    }
