# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Check a backup folder against its manifests without touching shared memory.

The file-side planning is the restore's own, so a folder that verifies is one the restore
accepts; then every file is read in full (compressed ones inflated) and its CRC compared.
"""

from __future__ import absolute_import, division, print_function

import os

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    close_folder,
    execute_namespaces,
    new_plan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    file_members,
    folder_entries,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    NamespacePlan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    Request,
    check_namespace,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._restore import (
    open_folder,
    plan_namespace,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._result import (
    DAMAGED,
    DRIFT,
    VERIFIED,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._transfer import (
    reader,
)

__metaclass__ = type


def _scope(path, namespaces, instance, codec):
    """(instance, namespace) pairs to verify: those asked for, or every backup in the folder."""
    found = _manifest.find(path)
    if namespaces:
        if instance is not None:
            return [(instance, n) for n in namespaces], found
        # Without an instance, a namespace is verified wherever a manifest has it; one that no
        # manifest names is looked for as ASMT would, in instance 0, and refused if absent.
        pairs = [(i, n) for n in namespaces for i in sorted(set(i for i, m in found if m == n))]
        return pairs + [(0, n) for n in namespaces if n not in set(m for dummy, m in found)], found
    pairs = set(k for k in found if instance is None or k[0] == instance)
    # Backups by C ASMT have no manifest: their base files (and orphan stripes) name the namespaces.
    names, dummy = folder_entries(path)
    for inst in sorted(set(key.instance for key, dummy in names.values())):
        if instance is not None and inst != instance:
            continue
        for member in file_members(path, inst, codec, names):
            if member.key.role in (BASE, DATA) and member.name:
                pairs.add((inst, member.name))
    return sorted(pairs), found


def plan_verify(path, namespaces=None, instance=None, threads=None, codec='auto'):
    """What a verify would read, and what already shows the backup cannot be restored."""
    request = Request.verify(path, namespaces, instance, threads)
    namespaces = request.namespaces
    plan = new_plan('verify', request, codec)
    if not os.path.isdir(plan.path):
        plan.refuse('folder', '%s is not a folder: give the backup folder' % plan.path, path=plan.path)
        return plan
    if not open_folder(plan):
        return plan
    pairs, found = _scope(plan.folder, namespaces, instance, plan.codec)
    if not pairs:
        plan.refuse('not-found', '%s holds no backup (no manifest and no Aerospike segment files)' % plan.path,
                    path=plan.path)
    names, dummy = folder_entries(plan.folder)
    members = {}
    for inst, namespace in pairs:
        # Names read from the folder obey the same rule as names asked for.
        check_namespace(namespace)
        if inst not in members:
            members[inst] = file_members(plan.folder, inst, plan.codec, names)
        ns_plan = NamespacePlan('verify', namespace, inst)
        plan.namespaces.append(ns_plan)
        plan_namespace(plan, ns_plan, members[inst], None, found.get((inst, namespace), {}))
    modes = dict((item.file, item.member.mode) for ns in plan.namespaces for item in ns.items)
    for code, message in _folder.folder_problems(plan.folder, modes):
        plan.refuse(code, message, path=plan.path)
    return plan


def execute_verify(plan, progress=None):
    """Read every file of every namespace the plan found ready; report each file's verdict.

    All files are read even after one fails, so the report is complete. Raises
    IntegrityError with the result attached when any file is damaged.
    """
    try:
        result = execute_namespaces(plan, lambda ns, engine, summary: _verify_namespace(plan, ns, engine, summary),
                                    progress, counted=(VERIFIED, DAMAGED, DRIFT))
    finally:
        close_folder(plan)
    damaged = [f['error'] for ns in result['namespaces'] for f in ns.get('files', ()) if not f['ok']]
    if damaged:
        raise IntegrityError(damaged[0] if len(damaged) == 1 else '%s (and %d more damaged files)'
                             % (damaged[0], len(damaged) - 1), result=result)
    return result


def _verify_namespace(plan, ns_plan, engine, summary):
    """Every file's verdict into summary; its state says whether all were intact."""
    files = [_verify_file(plan, ns_plan, item, engine) for item in ns_plan.items]
    bad = [f for f in files if not f['ok']]
    summary.fields.update({'files': files, 'manifest': ns_plan.manifest_path})
    summary.state = VERIFIED if not bad else DRIFT if all(f.get('drift') for f in bad) else DAMAGED


def _verify_file(plan, ns_plan, item, engine):
    """Read one file in full and check its CRC, then its owner and mode against the manifest; returns the verdict.

    A damaged file stops only its own read: the engine starts afresh at its next run.
    """
    file_path = plan.folder.join(item.file)
    verdict = {'file': item.file, 'key': item.key.hex, 'type': item.key.role, 'size': item.size,
               'compressed': item.compressed}
    expected = item.expected_crc
    try:
        fd, st = plan.folder.open_regular(item.file)
        try:
            job = reader(item, fd, file_path, plan.codec, st.st_size)
            engine.run([job])
        finally:
            os.close(fd)
        verdict.update({'ok': True, 'crc32': '0x%08x' % job.crc,
                        'checked_against': 'manifest' if expected is not None else
                        ('gzip trailer' if item.compressed else 'nothing (no manifest)')})
    except (ShmError, OSError) as exc:
        verdict.update({'ok': False, 'error': getattr(exc, 'msg', None) or '%s: %s' % (file_path, exc)})
        return verdict
    if item.file in ns_plan.drift:
        member = item.member
        verdict.update({'ok': False, 'drift': True,
                        'error': '%s has owner %d:%d mode 0%03o, the manifest records %d:%d mode 0%03o: its contents '
                                 'are intact but someone changed it; set them back (chown %d:%d, chmod 0%03o) and verify '
                                 'again' % (file_path, member.uid, member.gid, member.mode, item.uid, item.gid,
                                            item.mode, item.uid, item.gid, item.mode)})
    return verdict
