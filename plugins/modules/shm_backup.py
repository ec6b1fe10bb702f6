#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: shm_backup
short_description: Back up Aerospike's shared-memory segments to a folder, in ASMT's format
description:
  - Copies the segment sets of namespaces of a stopped Aerospike server (primary index base, treex and stages,
    secondary index meta and stages, and in-memory data stripes) to files in a folder, as C(asmt -b) does.
  - The files have ASMT 2.2.1's names and formats, so C(asmt -r) can restore them. A manifest per namespace
    records sizes, owners, modes and CRC-32s, so the restore and M(fastrestart.aerospike.shm_verify) can
    prove the files intact.
  - Refuses, changing nothing, when a segment is attached (asd is running), the index was not shut down
    cleanly, a set is incomplete, the folder already holds other files of the set, the folder is on a file
    system that a reboot erases, or the folder lacks room.
  - A namespace fails or succeeds as a whole; a failed one leaves no files behind.
  - The run is idempotent. When O(path) already holds a complete backup of exactly the current segments
    (same keys, sizes and CRC-32s), nothing is written and the result is not changed.
version_added: 0.1.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  namespaces:
    description:
      - Names of the namespaces to back up. Each one is an independent backup with its own manifest.
    type: list
    elements: str
    required: true
  path:
    description:
      - The backup folder. Its parent must exist unless O(create_parents) is set; the folder itself is created
        (mode C(0700)) when missing.
      - It must not be writable by users other than root and its owner, as the restore would refuse it.
    type: path
    required: true
  create_parents:
    description:
      - Also create the missing parents of O(path) (mode C(0700), owned by the user the module runs as), as
        C(mkdir -p) would. Without it a missing parent is refused, as C(asmt) refuses it.
      - The plan lists them in RV(created_parents); check mode creates nothing, so a first C(--check) run on a
        host without the backup root reports the backup it would make instead of refusing it.
      - The folders that exist above them are checked as for any backup folder (owned by root or the user, not
        writable by others without the sticky bit). A run that fails removes the folders it created.
    type: bool
    default: false
  compress:
    description:
      - Write gzip-compressed C(.dat.gz) files (ASMT's C(-z)). The base and meta segments are always stored
        uncompressed, as C(asmt) reads them only that way.
    type: bool
    default: false
  verify:
    description:
      - Read every file back from disk after writing it (not from the page cache) and compare its CRC-32.
    type: bool
    default: false
  allow_volatile_path:
    description:
      - Allow a folder on C(tmpfs) or C(ramfs). A reboot erases such a folder, so this only suits a backup
        that no reboot follows, such as a test or a server upgrade in place.
    type: bool
    default: false
extends_documentation_fragment:
  - fastrestart.aerospike.shm
  - fastrestart.aerospike.shm.action_group
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Check mode is ASMT's analyze (C(asmt -a -b)). It builds the same plan as a real run and fails where a
        real run would fail, but creates no folder and no file.
  diff_mode:
    support: full
    details:
      - Shows the folder's segment files and manifests before and after, as C(diff.before.files) and
        C(diff.after.files).
seealso:
  - module: fastrestart.aerospike.shm_restore
  - module: fastrestart.aerospike.shm_verify
  - module: fastrestart.aerospike.shm_info
  - module: fastrestart.aerospike.shm_segments
'''

EXAMPLES = r'''
- name: Analyze the backup first (ASMT's -a), changing nothing
  fastrestart.aerospike.shm_backup:
    namespaces: [test, bar]
    path: /var/backups/aerospike/shm
  check_mode: true
  register: analysis

- name: Show what the backup would write
  ansible.builtin.debug:
    msg: "{{ analysis.bytes }} bytes in {{ analysis.segments | length }} files"

- name: Back up the segments of two namespaces of the stopped server
  fastrestart.aerospike.shm_backup:
    namespaces: [test, bar]
    path: /var/backups/aerospike/shm
  register: backup

- name: Analyze a backup on a host never backed up, whose /var/backups/aerospike does not exist yet
  fastrestart.aerospike.shm_backup:
    namespaces: [test]
    path: /var/backups/aerospike/cycle-1
    create_parents: true
  check_mode: true
  register: first_analysis

- name: Back up instance 1, compressed, reading every file back
  fastrestart.aerospike.shm_backup:
    instance: 1
    namespaces: [test]
    path: /var/backups/aerospike/shm-1
    compress: true
    verify: true
    threads: 4
'''

RETURN = r'''
msg:
  description: What the run did, or would do, in one sentence.
  returned: always
  type: str
  sample: backed up test (8421376 bytes) to /var/backups/aerospike/shm in 0.012 s (0.702 GB/s)
path:
  description: The backup folder, as an absolute path.
  returned: always
  type: str
  sample: /var/backups/aerospike/shm
created_parents:
  description:
    - Missing parents of O(path) that the run created, or in check mode would create, top-down. Empty unless
      O(create_parents) is set and a parent was missing.
  returned: always
  type: list
  elements: str
  sample: [/var/backups/aerospike]
plan:
  description:
    - The analysis the run is based on, as the core builds it, per namespace with its state (V(ready),
      V(already_done) or V(refused)), its segments and its problems.
  returned: always
  type: dict
  sample:
    operation: backup
    path: /var/backups/aerospike/shm
    instance: 0
    threads: 2
    codec: isal
    compress: false
    changed: true
    ok: true
    bytes: 8421376
    namespaces:
      - namespace: test
        instance: 0
        nsid: 1
        orphan: false
        state: ready
        bytes: 8421376
        segments: []
        problems: []
        warnings: []
        manifest: null
        base: {version: 12, shutdown: 1, name: test, n_arenas: 1}
    problems: []
    warnings: []
    facts: {filesystem_volatile: null, free_bytes: 52031864832, needed_bytes: 8421376}
    create_folder: true
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
      description: Size of the file in bytes; null in check mode for files not yet written.
      type: int
      sample: 8388608
    compressed:
      description: Whether the file is a gzip-compressed C(.dat.gz).
      type: bool
      sample: false
    crc:
      description: CRC-32 of the segment's contents; null in check mode for files not yet written.
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
  description: Segment bytes copied, or in check mode bytes that would be copied. 0 when nothing changed.
  returned: always
  type: int
  sample: 8421376
seconds:
  description: Seconds the copy took; in check mode, and when nothing changed, the seconds the analysis took.
  returned: always
  type: float
  sample: 0.012
gbps:
  description: Throughput in GB/s (10^9 bytes per second); null in check mode and when nothing was copied.
  returned: always
  type: float
  sample: 0.702
manifests:
  description: Paths of the namespaces' manifests, written, found, or in check mode to be written.
  returned: always
  type: list
  elements: str
  sample: [/var/backups/aerospike/shm/fastrestart-i0-test.manifest.json]
problems:
  description:
    - Why the backup was refused; the namespace is null for a problem of the whole run (the folder,
      its room).
    - Each has V(namespace), V(code) (such as V(attached), V(unclean), V(incomplete), V(exists), V(not-found),
      V(volatile-path), V(no-space)), V(message) and V(facts) (keys, path, pids).
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
      code: attached
      message: "segments of namespace 'test' are attached: 0xae001000 (pid 4242). ..."
      facts: {keys: ['0xae001000'], pids: [4242]}
'''

import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils._backup import (
    execute_backup,
    plan_backup,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._shm_module import (
    ShmModule,
    backup_diff,
)


def main():
    module = ShmModule(
        argument_spec=ShmModule.argument_spec(
            namespaces=dict(type='list', elements='str', required=True),
            path=dict(type='path', required=True),
            compress=dict(type='bool', default=False),
            verify=dict(type='bool', default=False),
            allow_volatile_path=dict(type='bool', default=False),
            create_parents=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    started = time.monotonic()
    with module.errors():
        plan = plan_backup(params['path'], params['namespaces'], instance=params['instance'],
                           compress=params['compress'], threads=params['threads'],
                           allow_volatile_path=params['allow_volatile_path'], create_parents=params['create_parents'])
        diff = backup_diff(plan) if module._diff else None
    module.exit_plan(plan, lambda p: execute_backup(p, verify=params['verify']), time.monotonic() - started, diff=diff,
                     created_parents=plan.create_parents)


if __name__ == '__main__':
    main()
