#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: shm_segments
short_description: Remove one Aerospike namespace's segments from shared memory
description:
  - Removes every segment of one namespace of one server instance, unattached, from shared memory (primary
    index base, treex and stages, secondary index meta and stages, and data stripes). This makes room for
    M(fastrestart.aerospike.shm_restore) over stale segments, or forces a cold start.
  - The namespace's segments are found as in ASMT, by the name in its base segment (and in its data
    stripes); other namespaces and other instances are never touched.
  - Refuses, removing nothing, when any of them is attached, naming the keys and the processes, because a
    running asd would lose its index.
  - A restore killed before it filled its base leaves an unfinished set whose base is still zeros, so it has no
    name to be found by. O(nsid) removes such a set by its namespace id (the key's C(NN) in C(0xAEiNN...)), and
    only while its base is missing or names no namespace.
version_added: 0.1.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  instance:
    description:
      - The Aerospike server instance.
    type: int
    default: 0
  namespace:
    description:
      - The namespace name.
      - Exactly one of O(namespace) and O(nsid) is required.
    type: str
  nsid:
    description:
      - The namespace id (1-32) of an unfinished set to remove, as a refused restore names it.
      - Refused when the set's base names a namespace; remove that by O(namespace).
    type: int
    version_added: 0.2.0
  state:
    description:
      - V(absent) removes the segments. It is the only state.
    type: str
    required: true
    choices: [absent]
extends_documentation_fragment:
  - fastrestart.aerospike.shm.host
  - fastrestart.aerospike.shm.action_group
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Reports the segments that would be removed, and refuses as a real run would.
  diff_mode:
    support: none
seealso:
  - module: fastrestart.aerospike.shm_info
  - module: fastrestart.aerospike.shm_restore
  - module: fastrestart.aerospike.shm_backup
'''

EXAMPLES = r'''
- name: See which segments of namespace test would go
  fastrestart.aerospike.shm_segments:
    namespace: test
    state: absent
  check_mode: true
  register: stale

- name: Report them
  ansible.builtin.debug:
    msg: "{{ stale.removed | map(attribute='key') | list }}"

- name: Remove the stale segments of namespace test of instance 1 before restoring
  fastrestart.aerospike.shm_segments:
    instance: 1
    namespace: test
    state: absent

- name: Remove what a killed restore left of namespace id 1 (its base still empty)
  fastrestart.aerospike.shm_segments:
    nsid: 1
    state: absent
'''

RETURN = r'''
msg:
  description: What was, or would be, removed, in one sentence.
  returned: always
  type: str
  sample: removed 4 segments (8421376 bytes) of namespace 'test' in instance 0
removed:
  description: The segments removed, or in check mode those that would be.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The System V key as unsigned hex.
      type: str
    size:
      description: Size in bytes.
      type: int
    role:
      description: V(pi-base), V(pi-treex), V(pi-stage), V(si-meta), V(si-stage) or V(data-stage).
      type: str
  sample: [{key: '0xae001000', size: 16384, role: pi-base}]
bytes:
  description: Bytes of those segments.
  returned: always
  type: int
  sample: 8421376
problems:
  description: >-
    Why the removal was refused; each has V(namespace), V(code) (V(attached), V(ambiguous) or V(finished)), V(message)
    and V(facts).
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
      message: "segments of namespace 'test' in instance 0 are attached: 0xae001000 (pid 4242). ..."
      facts: {keys: ['0xae001000'], pids: [4242]}
'''

from ansible_collections.fastrestart.aerospike.plugins.module_utils._removal import (
    execute_removal,
    plan_removal,
    plan_unfinished_removal,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._shm_module import (
    ShmModule,
    jsonable,
)


def main():
    module = ShmModule(
        argument_spec=ShmModule.argument_spec(
            common=('instance',),
            namespace=dict(type='str'),
            nsid=dict(type='int'),
            state=dict(type='str', required=True, choices=['absent']),
        ),
        mutually_exclusive=[('namespace', 'nsid')],
        required_one_of=[('namespace', 'nsid')],
        supports_check_mode=True,
    )
    params = module.params
    with module.errors():
        if params['nsid'] is not None:
            plan = plan_unfinished_removal(params['nsid'], instance=params['instance'])
        else:
            plan = plan_removal(params['namespace'], instance=params['instance'])
    if not plan.ok:
        problems = [dict(namespace=plan.namespace, code=p.code, message=p.message,
                         facts=dict((k, v) for k, v in p.to_dict().items() if k not in ('code', 'message')))
                    for p in plan.problems]
        module.fail_json(msg=plan.message(), problems=jsonable(problems))
    if module.check_mode or not plan.changed:
        module.exit_json(changed=plan.changed, msg=plan.message(), removed=plan.segments(), bytes=plan.bytes)
    with module.errors():
        result = execute_removal(plan)
    module.exit_json(changed=result['changed'], removed=result['removed'], bytes=result['bytes'],
                     msg='removed %d segments (%d bytes) of %s in instance %d'
                     % (len(result['removed']), result['bytes'], plan.what, plan.instance))


if __name__ == '__main__':
    main()
