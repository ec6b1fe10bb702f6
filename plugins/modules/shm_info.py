#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: shm_info
short_description: Describe Aerospike's shared memory and backup folders on a host
description:
  - Reports the kernel's shared-memory limits and usage, the Aerospike namespaces found in shared memory
    (with every segment, whether asd is attached, and whether the index was shut down cleanly), and what
    backup folders hold.
  - The boot id tells whether the host rebooted since a backup was made (RV(backups[].same_boot)).
  - Segments are attached read-only and briefly, only to read namespace names; files are listed, never read
    in full. M(fastrestart.aerospike.shm_verify) reads them.
version_added: 0.1.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  instance:
    description:
      - Describe only this server instance. All instances when omitted.
    type: int
  namespaces:
    description:
      - Describe only these namespaces, in shared memory and in the backup folders.
    type: list
    elements: str
  paths:
    description:
      - Backup folders to describe. A folder that does not exist is reported with RV(backups[].state=missing).
      - Mutually exclusive with O(backup_root).
    type: list
    elements: path
    default: []
  backup_root:
    description:
      - A folder that holds backup folders. Every folder directly under it is described in RV(backups), newest
        first by modification time; hidden names and symbolic links are left out.
      - A O(backup_root) that does not exist holds no backups, so RV(backups) is empty; one that is not a folder
        fails.
      - Mutually exclusive with O(paths).
    type: path
    version_added: 0.2.0
  boot_restore_state:
    description:
      - The state file of the boot-restore service (role C(fastrestart.aerospike.boot_restore)), read for
        RV(boot_restore). A missing file gives RV(boot_restore=null).
    type: path
    default: /var/lib/fastrestart-aerospike/boot-restore.json
    version_added: 0.2.0
extends_documentation_fragment:
  - fastrestart.aerospike.shm.host
  - fastrestart.aerospike.shm.read_only
  - fastrestart.aerospike.shm.action_group
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
seealso:
  - module: fastrestart.aerospike.shm_backup
  - module: fastrestart.aerospike.shm_restore
  - module: fastrestart.aerospike.shm_verify
  - module: fastrestart.aerospike.shm_segments
'''

EXAMPLES = r'''
- name: Describe shared memory and the backup folder
  fastrestart.aerospike.shm_info:
    paths: [/var/backups/aerospike/shm]
  register: shm

- name: Refuse to restore a backup made before the last reboot but not after it
  ansible.builtin.assert:
    that:
      - shm.backups[0].state == 'complete'
    fail_msg: "{{ shm.backups[0].path }} holds no complete backup (state {{ shm.backups[0].state }})"

- name: List the namespaces whose index asd left in memory after a clean shutdown
  ansible.builtin.debug:
    msg: "{{ shm.namespaces | selectattr('clean_shutdown') | map(attribute='namespace') | list }}"

- name: Require that the boot-restore service restored the index in this boot
  ansible.builtin.assert:
    that:
      - shm.boot_restore.last_restore.result == 'restored'
      - shm.boot_restore.last_restore.boot_id == shm.boot_id
    fail_msg: "no restore in this boot: {{ shm.boot_restore.last_restore.reason }}"

- name: Describe every backup folder under a root, newest first
  fastrestart.aerospike.shm_info:
    backup_root: /var/backups/aerospike
  register: shm_backups

- name: Name the newest complete backup
  ansible.builtin.debug:
    msg: "{{ (shm_backups.backups | selectattr('state', 'equalto', 'complete') | first).path }}"
  when: shm_backups.backups | selectattr('state', 'equalto', 'complete') | list | length > 0

- name: Describe only namespace test of instance 1
  fastrestart.aerospike.shm_info:
    instance: 1
    namespaces: [test]
'''

RETURN = r'''
boot_id:
  description: This host's current boot id (C(/proc/sys/kernel/random/boot_id)); it changes at every boot.
  returned: always
  type: str
  sample: 3f1e6c2a-5b0d-4c8e-9a7f-2d4b6e8f0a1c
hostname:
  description: The host's name.
  returned: always
  type: str
  sample: db1
kernel:
  description: Shared-memory limits and usage of the IPC namespace the module runs in.
  returned: always
  type: dict
  contains:
    shmmax:
      description: C(kernel.shmmax), the largest segment in bytes.
      type: int
    shmall:
      description: C(kernel.shmall), all segments together, in pages.
      type: int
    shmmni:
      description: C(kernel.shmmni), the number of segments.
      type: int
    page_size:
      description: Bytes per page.
      type: int
    segments:
      description: Segments that exist, of any program.
      type: int
    pages_in_use:
      description: Pages those segments take.
      type: int
    bytes_in_use:
      description: Bytes those segments take.
      type: int
    mem_available:
      description: C(MemAvailable) in bytes, null when the kernel does not report it.
      type: int
  sample: {shmmax: 68719476736, shmall: 4294967296, shmmni: 4096, page_size: 4096, segments: 5,
           pages_in_use: 2056, bytes_in_use: 8421376, mem_available: 3221225472}
required_limits:
  description:
    - The values C(kernel.shmmax) (bytes), C(kernel.shmall) (pages) and C(kernel.shmmni) (segments) a restore of
      the namespaces in RV(namespaces) would need, their segments created anew beside the other segments present
      now, by the same rule as RV(fastrestart.aerospike.shm_restore#module:required_limits). Before a backup is
      made, it tells what its restore will need.
  returned: always
  type: dict
  version_added: 0.2.0
  sample: {shmmax: 8388608, shmall: 2056, shmmni: 5}
namespaces:
  description: Aerospike namespaces found in shared memory, per instance, by the names their bases and data stripes carry.
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
    nsid:
      description: The namespace id in the keys (1..32).
      type: int
    bytes:
      description: Bytes of all its segments.
      type: int
    segment_count:
      description: Number of its segments.
      type: int
    base_present:
      description: Whether a primary index base segment names this namespace; without one the data stripes are an orphan set.
      type: bool
    base_version:
      description: Version of the base segment's layout (10 to 12 are known), null without a base.
      type: int
    clean_shutdown:
      description: Whether the base records a clean shutdown (only then can asd start warm from it); null without a base.
      type: bool
    attached:
      description: Whether any of its segments is attached (asd running).
      type: bool
    pids:
      description: Processes attached to any of its segments.
      type: list
      elements: int
    orphan:
      description: Data stripes without a base, as an unclean shutdown can leave them.
      type: bool
    segments:
      description: Its segments in ASMT's order.
      type: list
      elements: dict
      contains:
        key:
          description: The System V key as unsigned hex.
          type: str
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
          description: Size in bytes.
          type: int
        uid:
          description: Owner.
          type: int
        gid:
          description: Group.
          type: int
        mode:
          description: Permission bits as an octal string.
          type: str
        nattch:
          description: Number of attachments.
          type: int
        pids:
          description: Processes attached to it.
          type: list
          elements: int
  sample:
    - instance: 0
      namespace: test
      nsid: 1
      bytes: 8421376
      segment_count: 4
      base_present: true
      base_version: 12
      clean_shutdown: true
      attached: false
      pids: []
      orphan: false
      segments:
        - {key: '0xae001000', type: primary, role: pi-base, stage: null, size: 16384, uid: 0, gid: 0,
           mode: '0666', nattch: 0, pids: []}
unclaimed_segments:
  description:
    - Aerospike segments that no namespace claims (no base or data stripe of theirs carries a name), such as
      stages left behind by a crash. Only reported when O(namespaces) is not given.
    - Each entry has the keys of RV(namespaces[].segments).
  returned: always
  type: list
  elements: dict
  sample: []
sysv_backend:
  description:
    - How segments were attached to read their names, V(sysv_ipc) (the library, used where installed) or
      V(ctypes) (the C library through Python's ctypes, on a host without sysv_ipc).
    - The environment variable E(FASTRESTART_SYSV_BACKEND) chooses one explicitly.
  returned: always
  type: str
  sample: ctypes
boot_restore:
  description:
    - The boot-restore service (role C(fastrestart.aerospike.boot_restore)) as its state file records it; null
      when the service never ran on the host.
    - RV(boot_restore.last_shutdown) is the last shutdown's decision and backup, RV(boot_restore.last_restore)
      this boot's restore (or the last one, after a restart of the unit).
  returned: always
  type: dict
  version_added: 0.2.0
  contains:
    boot_id:
      description: The boot the service recorded at its last start.
      type: str
    previous_boot_id:
      description: The boot recorded at the start before it, whose shutdown backup a restore must come from.
      type: str
    held:
      description: Whether C(fastrestart.aerospike.rolling_reboot) holds the service (no backup, no restore).
      type: bool
    hold:
      description: The hold file's content (who holds it, cycle, since), or null.
      type: dict
    last_shutdown:
      description:
        - The last shutdown - C(boot_id), C(time), C(result) (V(backed-up), V(skipped), V(failed)), C(reason),
          C(bytes), C(seconds) of the backup, C(estimate_seconds), C(folder), C(service_seconds) (the whole stop).
      type: dict
    last_backup:
      description: The last backup taken - C(boot_id), C(time), C(folder), C(bytes), C(seconds), C(rate) (bytes/s).
      type: dict
    last_restore:
      description:
        - The restore at the last boot - C(boot_id), C(time), C(result) (V(restored), V(none), V(failed)),
          C(reason), C(bytes), C(seconds), C(folder), C(service_seconds) (the whole start).
      type: dict
    backups:
      description: The service's backup folders, newest first.
      type: list
      elements: str
    stop_timeout_seconds:
      description: The stop timeout the service set for its unit from its last measured backup.
      type: int
  sample:
    boot_id: 3f1e6c2a-5b0d-4c8e-9a7f-2d4b6e8f0a1c
    previous_boot_id: 0c9a4e1d-7e2b-4f3a-8d6c-1b5e9f2a7c30
    held: false
    hold: null
    last_shutdown: {boot_id: 0c9a4e1d-7e2b-4f3a-8d6c-1b5e9f2a7c30, time: '2026-01-31T12:00:00Z', result: backed-up,
                    reason: 'asd stopped cleanly', bytes: 268435456, seconds: 1.9, estimate_seconds: 9.0,
                    folder: /var/backups/aerospike-boot-restore/20260131T120000Z-0c9a4e1d7e2b, service_seconds: 2.3}
    last_backup: {boot_id: 0c9a4e1d-7e2b-4f3a-8d6c-1b5e9f2a7c30, time: '2026-01-31T12:00:02Z', bytes: 268435456,
                  seconds: 1.9, rate: 141281818, folder: /var/backups/aerospike-boot-restore/20260131T120000Z-0c9a4e1d7e2b}
    last_restore: {boot_id: 3f1e6c2a-5b0d-4c8e-9a7f-2d4b6e8f0a1c, time: '2026-01-31T12:00:09Z', result: restored,
                   reason: restoring the backup the previous boot took at its shutdown, bytes: 268435456, seconds: 1.2,
                   folder: /var/backups/aerospike-boot-restore/20260131T120000Z-0c9a4e1d7e2b, service_seconds: 1.5}
    backups: [/var/backups/aerospike-boot-restore/20260131T120000Z-0c9a4e1d7e2b]
    stop_timeout_seconds: 60
backups:
  description:
    - One entry per folder in O(paths), in that order; or, with O(backup_root), one per folder under it, newest
      first.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The folder, as an absolute path.
      type: str
    exists:
      description: Whether the folder exists.
      type: bool
    state:
      description:
        - V(complete) (manifests and no unfinished backup), V(in_progress) (an unfinished or interrupted backup),
          V(asmt) (segment files without a manifest, as C ASMT writes them), V(empty), V(missing), or
          V(invalid) (a manifest cannot be read, or the path is not a folder).
      type: str
    namespaces:
      description: The backups in the folder, one per instance and namespace.
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
          description: V(complete), V(in_progress), V(asmt) or V(invalid).
          type: str
        bytes:
          description: Segment bytes.
          type: int
        file_bytes:
          description: File bytes.
          type: int
        compressed:
          description: Whether its files are compressed.
          type: bool
        boot_id:
          description: Boot id of the host when the backup was made.
          type: str
        time:
          description: When the backup was made (or started), UTC, ISO 8601.
          type: str
        host:
          description: Host name that made the backup.
          type: str
        manifest:
          description: Path of the manifest, null without one.
          type: str
        files:
          description: Names of its files.
          type: list
          elements: str
    bytes:
      description: Segment bytes of the backups listed.
      type: int
    boot_id:
      description: Boot id recorded by the newest complete backup, null without one.
      type: str
    time:
      description: Time of the newest complete backup, null without one.
      type: str
    same_boot:
      description:
        - Whether the newest complete backup was made during this boot (no reboot since); null without a
          manifest.
      type: bool
    free_bytes:
      description: Free bytes on the folder's file system (or its nearest existing parent's).
      type: int
    filesystem:
      description: Type of that file system.
      type: str
    volatile:
      description: Whether a reboot erases that file system (tmpfs, ramfs).
      type: bool
  sample:
    - path: /var/backups/aerospike/shm
      exists: true
      state: complete
      namespaces:
        - {instance: 0, namespace: test, state: complete, bytes: 8421376, file_bytes: 8421376, compressed: false,
           boot_id: 3f1e6c2a-5b0d-4c8e-9a7f-2d4b6e8f0a1c, time: '2026-01-31T12:00:00Z', host: db1,
           manifest: /var/backups/aerospike/shm/fastrestart-i0-test.manifest.json, files: [ae001000.dat]}
      bytes: 8421376
      boot_id: 3f1e6c2a-5b0d-4c8e-9a7f-2d4b6e8f0a1c
      time: '2026-01-31T12:00:00Z'
      same_boot: true
      free_bytes: 52031864832
      filesystem: ext4
      volatile: false
'''

from ansible_collections.fastrestart.aerospike.plugins.module_utils._boot_restore import (
    STATE_FILE as BOOT_RESTORE_STATE,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._info import (
    gather,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._shm_module import (
    ShmModule,
    jsonable,
)


def main():
    module = ShmModule(
        argument_spec=ShmModule.argument_spec(
            common=(),
            instance=dict(type='int'),
            namespaces=dict(type='list', elements='str'),
            paths=dict(type='list', elements='path', default=[]),
            backup_root=dict(type='path'),
            boot_restore_state=dict(type='path', default=BOOT_RESTORE_STATE),
        ),
        mutually_exclusive=[('paths', 'backup_root')],
        supports_check_mode=True,
    )
    params = module.params
    with module.errors():
        facts = gather(params['instance'], params['namespaces'], params['paths'],
                       boot_restore_state=params['boot_restore_state'], backup_root=params['backup_root'])
    module.exit_json(changed=False, **jsonable(facts))


if __name__ == '__main__':
    main()
