#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: asd_gate
short_description: Wait until the cluster, as the local asd sees it, passes one gate of a roll's batch
description:
  - Polls the local asd until the gate holds or O(timeout) passes, then fails naming what did not hold.
  - V(before) a batch stops, on every node, C(cluster-stable) at O(cluster_size) with migrations done,
    C(replication-factor) and C(effective_replication_factor) at least 2, C(nodes_quiesced) 0, C(racks:) equal to
    O(racks), and for strong consistency C(unavailable_partitions) and C(dead_partitions) 0.
  - V(quiesced) once the batch is quiesced and one C(recluster:) sent, C(nodes_quiesced) equal to O(batch_size),
    and on a node of the batch (O(member)) C(effective_is_quiesced).
  - V(survivors) right after the batch stopped, for strong consistency, C(unavailable_partitions) and
    C(dead_partitions) 0.
  - V(after) the batch is back, asd answers, C(cluster_size) and C(cluster-stable) at O(cluster_size) with
    migrations done, C(racks:) equal to O(racks), C(nodes_quiesced) 0.
  - With O(nodes), every node listed is checked from this host (C(asinfo -h <address>)), and the gate holds only
    when it holds on all of them with one cluster key for V(before) and V(after); otherwise the local asd alone.
  - Reads only; changes nothing.
version_added: 0.3.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  gate:
    description: The gate.
    type: str
    required: true
    choices: [before, quiesced, survivors, after]
  nodes:
    description:
      - The nodes to check, by name, each with the address that C(asinfo -h) reaches it at. Empty checks the local asd.
    type: dict
    default: {}
  namespaces:
    description:
      - Namespaces to check. Empty checks every namespace asd names.
    type: list
    elements: str
    default: []
  cluster_size:
    description: The cluster size the gate expects (V(before) and V(after)).
    type: int
    default: 0
  batch_size:
    description: The nodes of the batch that were quiesced (V(quiesced)).
    type: int
    default: 0
  member:
    description: Whether the nodes checked are the batch's own (V(quiesced)).
    type: bool
    default: false
  racks:
    description:
      - The racks the roll was planned from (RV(fastrestart.aerospike.roll_plan#module:racks)); empty skips
        the comparison.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for the gate.
    type: int
    default: 300
  interval:
    description: Seconds between two looks.
    type: float
    default: 2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - fastrestart.aerospike.asd
attributes:
  check_mode:
    support: full
    details:
      - Looks once in check mode and reports what does not hold, without waiting or failing.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: fastrestart.aerospike.roll_plan
'''

EXAMPLES = r'''
- name: Wait until the cluster is whole and stable before the next rack
  fastrestart.aerospike.asd_gate:
    gate: after
    cluster_size: 6
    racks: "{{ roll.racks }}"
  delegate_to: "{{ item }}"
  loop: "{{ groups['aerospike'] }}"
'''

RETURN = r'''
ok:
  description: Whether the gate held.
  returned: always
  type: bool
problems:
  description: What did not hold at the last look.
  returned: always
  type: list
  elements: str
cluster_key:
  description: >-
    What C(cluster-stable) answered (the cluster key) at the last look, for V(before) and V(after), when all nodes
    agree; null otherwise.
  returned: always
  type: str
principal:
  description: The node that all checked nodes name as their principal, when it is one of them; else null.
  returned: always
  type: str
nodes:
  description: Per node checked, its C(problems) and C(cluster_key) at the last look.
  returned: always
  type: dict
waited:
  description: Seconds waited.
  returned: always
  type: float
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _gate

_WHAT_NEXT = {
    'before': 'The batch was not stopped. Wait until every node is up and migrations finish, then run again.',
    'quiesced': 'The batch was not stopped; undo with asinfo -v quiesce-undo: on its nodes and a recluster:, '
                'or run again.',
    'survivors': 'Partitions became unavailable with the batch stopped: start it again now.',
    'after': 'The next batch was not started. Find why the cluster is not whole, fix it, and run again '
             '(hosts already done are skipped).',
}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gate=dict(type='str', required=True, choices=list(_gate.GATES)),
            asinfo=dict(type='list', elements='str', default=['asinfo']),
            nodes=dict(type='dict', default={}),
            namespaces=dict(type='list', elements='str', default=[]),
            cluster_size=dict(type='int', default=0),
            batch_size=dict(type='int', default=0),
            member=dict(type='bool', default=False),
            racks=dict(type='dict', default={}),
            timeout=dict(type='int', default=300),
            interval=dict(type='float', default=2.0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    gate = params['gate']
    if params['nodes']:
        asinfos = _asinfo.each_node(params['asinfo'], params['nodes'])
    else:
        asinfos = {'this node': _asinfo.Asinfo(params['asinfo'])}
    seen = _gate.wait(asinfos, gate, 0 if module.check_mode else params['timeout'], params['interval'],
                      namespaces=params['namespaces'], size=params['cluster_size'], racks=params['racks'] or None,
                      batch_size=params['batch_size'], member=params['member'])
    result = dict(changed=False, ok=not seen['problems'], **seen)
    if seen['problems'] and not module.check_mode:
        module.fail_json(msg='The %s gate did not hold within %d s: %s. %s' % (
            gate, params['timeout'], '; '.join(seen['problems']), _WHAT_NEXT[gate]), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
