#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: shm_verify
short_description: Check an Aerospike shared-memory backup folder file by file, without touching shared memory
description:
  - Reads every file of the backups in a folder in full (compressed ones inflated) and compares each one's
    CRC-32 with the manifest written by M(fastrestart.aerospike.shm_backup).
  - The folder is first checked by the restore's own rules (complete sets, files matching the manifest,
    folder permissions), so a folder that verifies is one that M(fastrestart.aerospike.shm_restore) accepts.
  - For a backup by C ASMT, which has no manifest, compressed files are checked against their gzip trailers;
    uncompressed files can only be read.
  - Fails on the first damaged file, naming it, after reading all of them.
version_added: 0.1.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  path:
    description:
      - The backup folder.
    type: path
    required: true
  instance:
    description:
      - Verify only backups of this server instance. All instances when omitted.
    type: int
  namespaces:
    description:
      - Verify only these namespaces. Every backup in the folder when omitted.
    type: list
    elements: str
  threads:
    description:
      - Worker threads for inflating and checksumming. Defaults to the number of CPUs this process may run on.
    type: int
extends_documentation_fragment:
  - fastrestart.aerospike.shm.host
  - fastrestart.aerospike.shm.read_only
  - fastrestart.aerospike.shm.action_group
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
seealso:
  - module: fastrestart.aerospike.shm_backup
  - module: fastrestart.aerospike.shm_restore
  - module: fastrestart.aerospike.shm_info
'''

EXAMPLES = r'''
- name: Verify every backup in the folder before rebooting
  fastrestart.aerospike.shm_verify:
    path: /var/backups/aerospike/shm
  register: verified

- name: Report what was checked
  ansible.builtin.debug:
    msg: "{{ verified.segments | length }} files, {{ verified.bytes }} bytes at {{ verified.gbps }} GB/s"

- name: Verify one namespace of instance 1
  fastrestart.aerospike.shm_verify:
    path: /var/backups/aerospike/shm-1
    instance: 1
    namespaces: [test]
'''

RETURN = r'''
msg:
  description: The verdict in one sentence; on failure, the damaged file and what is wrong with it.
  returned: always
  type: str
  sample: verified test (8421376 bytes, 4 files) in /var/backups/aerospike/shm
path:
  description: The backup folder, as an absolute path.
  returned: always
  type: str
  sample: /var/backups/aerospike/shm
namespaces:
  description: The backups verified, one per instance and namespace.
  returned: always
  type: list
  elements: dict
  contains:
    instance:
      description: The server instance.
      type: int
    namespace:
      description: The namespace name.
      type: str
    state:
      description: V(verified), V(damaged) or V(refused).
      type: str
    bytes:
      description: Segment bytes the files hold.
      type: int
    manifest:
      description: Path of the manifest, null for a backup by C ASMT.
      type: str
    warnings:
      description: What could not be checked.
      type: list
      elements: str
  sample:
    - {instance: 0, namespace: test, state: verified, bytes: 8421376, warnings: [],
       manifest: /var/backups/aerospike/shm/fastrestart-i0-test.manifest.json}
segments:
  description: One entry per file read.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The System V key as unsigned hex.
      type: str
      sample: '0xae001000'
    type:
      description: V(primary), V(secondary) or V(data).
      type: str
    role:
      description: V(pi-base), V(pi-treex), V(pi-stage), V(si-meta), V(si-stage) or V(data-stage).
      type: str
    stage:
      description: Stage number as ASMT shows it (C(0x100)), null for base, treex and meta.
      type: str
    size:
      description: Segment size in bytes.
      type: int
    file:
      description: Name of the file in O(path).
      type: str
    compressed:
      description: Whether the file is a gzip-compressed C(.dat.gz).
      type: bool
    crc:
      description: CRC-32 of the contents read; null when the file could not be read.
      type: str
      sample: '0x1234abcd'
    crc32:
      description: The same as RV(segments[].crc).
      type: str
    ok:
      description: Whether the file is intact.
      type: bool
    checked_against:
      description: V(manifest), V(gzip trailer) or V(nothing (no manifest)).
      type: str
    error:
      description: What is wrong with the file, when it is not intact.
      type: str
    namespace:
      description: The namespace the file belongs to.
      type: str
    instance:
      description: The server instance.
      type: int
bytes:
  description: Segment bytes checked.
  returned: always
  type: int
  sample: 8421376
seconds:
  description: Seconds the reading took.
  returned: always
  type: float
  sample: 0.004
gbps:
  description: Throughput in GB/s (10^9 bytes per second), null when nothing was read.
  returned: always
  type: float
  sample: 2.1
problems:
  description: Why the folder cannot be restored, found before reading (as M(fastrestart.aerospike.shm_restore) would).
  returned: failure
  type: list
  elements: dict
  contains:
    namespace:
      description: The namespace, null for a problem of the whole run.
      type: str
    code:
      description: A short code for the kind of problem.
      type: str
    message:
      description: What is wrong and what to do.
      type: str
    facts:
      description: The keys (hex), path and pids involved, where they apply.
      type: dict
  sample:
    - namespace: test
      code: manifest-mismatch
      message: /var/backups/aerospike/shm/ae001100.dat is missing ...
      facts: {keys: ['0xae001100']}
'''

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._shm_module import (
    ShmModule,
    jsonable,
    segment,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._verify import (
    execute_verify,
    plan_verify,
)


def _report(result):
    namespaces = []
    segments = []
    for ns in result['namespaces']:
        namespaces.append(dict((k, ns.get(k)) for k in ('instance', 'namespace', 'state', 'bytes', 'manifest',
                                                        'warnings')))
        for verdict in ns.get('files', []):
            out = segment(verdict, ns['namespace'])
            out.update({'ok': verdict['ok'], 'checked_against': verdict.get('checked_against'),
                        'error': verdict.get('error')})
            segments.append(out)
    return {'changed': False, 'path': result['path'], 'namespaces': namespaces, 'segments': segments,
            'bytes': result['bytes'], 'seconds': result['seconds'], 'gbps': result['gb_per_s']}


def main():
    module = ShmModule(
        argument_spec=ShmModule.argument_spec(
            common=(),
            path=dict(type='path', required=True),
            instance=dict(type='int'),
            namespaces=dict(type='list', elements='str'),
            threads=dict(type='int'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    with module.errors():
        plan = plan_verify(params['path'], namespaces=params['namespaces'], instance=params['instance'],
                           threads=params['threads'])
    if not plan.ok:
        module.fail_plan(plan, path=plan.path)
    module.warn_plan(plan)
    try:
        result = execute_verify(plan)
    except IntegrityError as exc:
        if 'result' not in exc.facts:
            module.fail_error(exc, path=plan.path)
        module.fail_json(msg=exc.msg, **jsonable(_report(exc.facts['result'])))
    with module.errors():
        report = _report(result)
    names = ', '.join(ns['namespace'] for ns in report['namespaces'])
    module.exit_json(msg='verified %s (%d bytes, %d files) in %s' % (names, report['bytes'], len(report['segments']),
                                                                     plan.path), **jsonable(report))


if __name__ == '__main__':
    main()
