#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: shm_restore
short_description: Restore Aerospike's shared-memory segments from a backup folder, as ASMT does
description:
  - Creates the segment sets of namespaces from a backup folder written by M(fastrestart.aerospike.shm_backup)
    or by C(asmt -b), so that asd finds its index and data in memory and starts fast (warm) instead of
    rebuilding from storage (cold).
  - Every segment is created empty with mode C(0600), filled, and checked against the manifest's CRC-32; the
    base segment, which makes a set usable for asd, is filled last. Owners and modes come at the end. A
    namespace that fails leaves no segment behind.
  - Refuses, changing nothing, when the folder lacks files of a set, a file does not match its manifest, the
    folder is writable by others, the set's segments exist already, or the kernel's limits or free memory
    are too small.
  - The run is idempotent. When the namespace's segments exist, unattached, and equal the backup (keys,
    sizes, owners, modes and CRC-32s), nothing is created and the result is not changed.
version_added: 0.1.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  namespaces:
    description:
      - Names of the namespaces to restore.
    type: list
    elements: str
    required: true
  path:
    description:
      - The backup folder.
    type: path
    required: true
  remove_unfinished:
    description:
      - First remove the segments that a killed restore of the same set left behind without a journal (their
        base is still empty), after checking that no process is attached to them.
      - A killed restore that left its journal under C(/run) is finished by running the same task again, without
        this option.
    type: bool
    default: false
  verify:
    description:
      - Read every restored segment back once it is filled and compare its CRC-32 with the one computed while
        filling it (ASMT's C(-c)). A mismatch fails the namespace and removes all of its segments.
      - The files are always checked against the manifest's CRC-32s while they are read; this adds a second
        read of the memory, as O(fastrestart.aerospike.shm_backup#module:verify) does of the files.
    type: bool
    default: false
    version_added: 0.2.0
extends_documentation_fragment:
  - fastrestart.aerospike.shm
  - fastrestart.aerospike.shm.action_group
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Check mode is ASMT's analyze (C(asmt -a -r)), with the kernel limits and free memory checked as well.
        It builds the same plan as a real run and fails where a real run would fail, but creates nothing.
      - RV(required_limits) tells what C(kernel.shmmax), C(kernel.shmall) and C(kernel.shmmni) must be, so a
        play can raise them before the real run.
  diff_mode:
    support: full
    details:
      - Shows the keys of the instance's Aerospike segments before and after, as C(diff.before.keys) and
        C(diff.after.keys).
seealso:
  - module: fastrestart.aerospike.shm_backup
  - module: fastrestart.aerospike.shm_verify
  - module: fastrestart.aerospike.shm_info
  - module: fastrestart.aerospike.shm_segments
  - module: ansible.posix.sysctl
    description: Raises kernel.shmmax, kernel.shmall and kernel.shmmni when RV(required_limits) asks for it.
'''

EXAMPLES = r'''
- name: Analyze the restore (ASMT's -a), including kernel limits and free memory
  fastrestart.aerospike.shm_restore:
    namespaces: [test]
    path: /var/backups/aerospike/shm
  check_mode: true
  register: analysis
  ignore_errors: true

- name: Show the kernel limits this restore needs
  ansible.builtin.debug:
    var: analysis.required_limits

- name: Restore the namespaces before asd starts
  fastrestart.aerospike.shm_restore:
    namespaces: [test, bar]
    path: /var/backups/aerospike/shm
  register: restore

- name: Report the restore
  ansible.builtin.debug:
    msg: "{{ restore.bytes }} bytes at {{ restore.gbps }} GB/s"
'''

RETURN = r'''
msg:
  description: What the run did, or would do, in one sentence.
  returned: always
  type: str
  sample: restored test (8421376 bytes) from /var/backups/aerospike/shm in 0.010 s (0.842 GB/s)
path:
  description: The backup folder, as an absolute path.
  returned: always
  type: str
  sample: /var/backups/aerospike/shm
plan:
  description:
    - The analysis the run is based on, per namespace with its state (V(ready), V(already_done) or V(refused)), its
      segments and problems; its C(facts) hold the kernel limits and memory the analysis checked.
  returned: always
  type: dict
  sample:
    operation: restore
    path: /var/backups/aerospike/shm
    instance: 0
    ok: true
    changed: true
    bytes: 8421376
    namespaces: []
    problems: []
    facts: {kernel_limits: {shmmax: 68719476736, shmall: 4294967296, shmmni: 4096, page_size: 4096}}
segments:
  description: One entry per segment, in ASMT's order.
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
      sample: primary
    role:
      description: V(pi-base), V(pi-treex), V(pi-stage), V(si-meta), V(si-stage) or V(data-stage).
      type: str
      sample: pi-base
    stage:
      description: Stage number as ASMT shows it (C(0x100)), null for base, treex and meta.
      type: str
      sample: '0x100'
    size:
      description: Segment size in bytes.
      type: int
      sample: 8388608
    file:
      description: Name of the file in O(path).
      type: str
      sample: ae001100.dat
    file_size:
      description: Size of the file in bytes.
      type: int
      sample: 8388608
    compressed:
      description: Whether the file is a gzip-compressed C(.dat.gz).
      type: bool
      sample: false
    crc:
      description: CRC-32 of the segment's contents (from the manifest until the run computes it).
      type: str
      sample: '0x1234abcd'
    crc32:
      description: The same as RV(segments[].crc), under the name the manifest uses.
      type: str
      sample: '0x1234abcd'
    namespace:
      description: The namespace the segment belongs to.
      type: str
      sample: test
    instance:
      description: The server instance.
      type: int
      sample: 0
bytes:
  description: Segment bytes restored, or in check mode bytes that would be restored. 0 when nothing changed.
  returned: always
  type: int
  sample: 8421376
seconds:
  description: Seconds the restore took; in check mode, and when nothing changed, the seconds the analysis took.
  returned: always
  type: float
  sample: 0.01
gbps:
  description: Throughput in GB/s (10^9 bytes per second); null in check mode and when nothing was restored.
  returned: always
  type: float
  sample: 0.842
manifests:
  description: Paths of the manifests the restore read; empty for a backup by C ASMT, which has none.
  returned: always
  type: list
  elements: str
  sample: [/var/backups/aerospike/shm/fastrestart-i0-test.manifest.json]
required_limits:
  description:
    - The values C(kernel.shmmax) (bytes), C(kernel.shmall) (pages) and C(kernel.shmmni) (segments) must at
      least have for this restore, counting the segments that exist already. Also returned on failure.
    - A present segment with the key of one to create is counted once, since it goes first (left by a killed
      restore) or is gone by the time the restore runs (asd's set, after the stop and reboot). A namespace
      already restored creates nothing; a refused one counts.
  returned: always
  type: dict
  contains:
    shmmax:
      description: Size of the largest segment to create, in bytes.
      type: int
    shmall:
      description: Pages of the segments present plus those to create, each segment rounded up to whole pages.
      type: int
    shmmni:
      description: Number of segments present plus those to create.
      type: int
  sample: {shmmax: 8388608, shmall: 2056, shmmni: 5}
problems:
  description:
    - Why the restore was refused; the namespace is null for a problem of the whole run (the
      folder, kernel limits, memory).
    - Each has V(namespace), V(code) (such as V(exists), V(attached), V(incomplete), V(manifest-mismatch),
      V(kernel-limits), V(memory), V(folder-permissions)), V(message) and V(facts) (keys, path, pids).
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
      code: exists
      message: "Found existing Aerospike primary index segment 0xae001000 ..."
      facts: {keys: ['0xae001000']}
'''

import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._restore import (
    execute_restore,
    plan_restore,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._shm_module import (
    ShmModule,
    restore_diff,
)


def main():
    module = ShmModule(
        argument_spec=ShmModule.argument_spec(
            namespaces=dict(type='list', elements='str', required=True),
            path=dict(type='path', required=True),
            remove_unfinished=dict(type='bool', default=False),
            verify=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    started = time.monotonic()
    with module.errors():
        entries = _sysv.list_segments()
        plan = plan_restore(params['path'], params['namespaces'], instance=params['instance'],
                            threads=params['threads'], entries=entries,
                            remove_unfinished=params['remove_unfinished'])
        limits = plan.facts['required_limits']
        diff = restore_diff(plan, entries) if module._diff else None
    module.exit_plan(plan, lambda p: execute_restore(p, verify=params['verify']), time.monotonic() - started, diff=diff,
                     required_limits=limits)


if __name__ == '__main__':
    main()
