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
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    check_namespace,
    check_request,
    new_plan,
    rate,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    file_members,
    folder_entries,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import (
    Engine,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
    ShmError,
    UsageError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
    INSTANCE_MAX,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    READY,
    NamespacePlan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._restore import (
    plan_namespace,
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
    if namespaces:
        namespaces, threads = check_request(namespaces, 0 if instance is None else instance, threads)
    else:
        dummy, threads = check_request(['-'], 0 if instance is None else instance, threads)
    if instance is not None and not 0 <= instance <= INSTANCE_MAX:
        raise UsageError('Instance must be from 0..%d' % INSTANCE_MAX)
    plan = new_plan('verify', path, instance, threads, codec)
    if not os.path.isdir(plan.path):
        plan.refuse('folder', '%s is not a folder: give the backup folder' % plan.path, path=plan.path)
        return plan
    pairs, found = _scope(plan.path, namespaces, instance, plan.codec)
    if not pairs:
        plan.refuse('not-found', '%s holds no backup (no manifest and no Aerospike segment files)' % plan.path,
                    path=plan.path)
    names, dummy = folder_entries(plan.path)
    members = {}
    for inst, namespace in pairs:
        check_namespace(namespace)
        if inst not in members:
            members[inst] = file_members(plan.path, inst, plan.codec, names)
        ns_plan = NamespacePlan('verify', namespace, inst)
        plan.namespaces.append(ns_plan)
        plan_namespace(plan, ns_plan, members[inst], None, found.get((inst, namespace), {}))
    return plan


def execute_verify(plan, progress=None):
    """Read every file of every namespace the plan found ready; report each file's verdict.

    All files are read even after one fails, so the report is complete. Raises
    IntegrityError with the result attached when any file is damaged.
    """
    engine = Engine(plan.threads, progress)
    results = []
    damaged = []
    started = time.monotonic()
    for ns_plan in plan.namespaces:
        summary = {'namespace': ns_plan.namespace, 'instance': ns_plan.instance, 'bytes': ns_plan.bytes,
                   'manifest': ns_plan.manifest_path, 'warnings': list(ns_plan.warnings)}
        results.append(summary)
        if plan.problems or ns_plan.state != READY:
            summary.update({'state': 'refused', 'problems': [p.to_dict() for p in ns_plan.problems]})
            continue
        files = []
        for item in ns_plan.items:
            file_path = os.path.join(plan.path, item.file)
            verdict = {'file': item.file, 'key': item.key.hex, 'type': item.key.role, 'size': item.size,
                       'compressed': item.compressed}
            expected = item.crc32
            try:
                fd = os.open(file_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    job = reader(item, fd, file_path, plan.codec, os.fstat(fd).st_size)
                    engine.run([job])
                finally:
                    os.close(fd)
                verdict.update({'ok': True, 'crc32': '0x%08x' % job.crc,
                                'checked_against': 'manifest' if expected is not None else
                                ('gzip trailer' if item.compressed else 'nothing (no manifest)')})
            except (ShmError, OSError) as exc:
                message = getattr(exc, 'msg', None) or '%s: %s' % (file_path, exc)
                verdict.update({'ok': False, 'error': message})
                damaged.append(message)
                # A damaged file must not stop the others from being read.
                engine = Engine(plan.threads, progress)
            files.append(verdict)
        summary['files'] = files
        summary['state'] = 'verified' if all(f['ok'] for f in files) else 'damaged'
    seconds = time.monotonic() - started
    checked = sum(r['bytes'] for r in results if r.get('state') in ('verified', 'damaged'))
    result = {'operation': 'verify', 'path': plan.path, 'changed': False, 'namespaces': results,
              'bytes': checked, 'seconds': round(seconds, 3), 'gb_per_s': rate(checked, seconds)}
    if damaged:
        raise IntegrityError(damaged[0] if len(damaged) == 1 else '%s (and %d more damaged files)'
                             % (damaged[0], len(damaged) - 1), result=result)
    return result
