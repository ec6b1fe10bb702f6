#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: asd_cluster_info
short_description: What the local asd says about its node, its namespaces and its cluster's racks
description:
  - Asks the local asd through C(asinfo) for its node id, edition, build, C(statistics), each namespace's
    replication factor, quiesce counts, partition availability and configured C(rack-id), and the cluster's
    racks (C(racks:)).
  - These are the facts a roll plans its batches from (M(fastrestart.aerospike.roll_plan)), so racks come
    from the live cluster, never from the inventory.
  - When asd does not answer, RV(running) is false and only RV(configured_racks), read from C(aerospike.conf),
    says where the node belongs.
  - Reads only; changes nothing.
version_added: 0.3.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  namespaces:
    description:
      - Namespaces to describe. Empty describes every namespace asd names.
    type: list
    elements: str
    default: []
  config_file:
    description:
      - asd's configuration, whose C(namespace) stanzas give each namespace's configured C(rack-id).
        A missing file gives no configured racks.
    type: path
    default: /etc/aerospike/aerospike.conf
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - fastrestart.aerospike.asd.read_only
  - fastrestart.aerospike.asd
seealso:
  - module: fastrestart.aerospike.roll_plan
  - module: fastrestart.aerospike.asd_gate
'''

EXAMPLES = r'''
- name: Learn this node's racks from the live cluster
  fastrestart.aerospike.asd_cluster_info:
  register: node

- name: Show the racks of namespace test
  ansible.builtin.debug:
    msg: "{{ node.racks.test.racks }}"
'''

RETURN = r'''
running:
  description: Whether asd answered C(status) with C(ok).
  returned: always
  type: bool
node:
  description: The node id, upper-case hex.
  returned: always
  type: str
  sample: BB9010011AC4202
edition:
  description: What C(edition) answers.
  returned: always
  type: str
  sample: Aerospike Enterprise Edition
enterprise:
  description: Whether the edition is Enterprise (racks and quiesce are Enterprise-only).
  returned: always
  type: bool
build:
  description: The server build.
  returned: always
  type: str
cluster_size:
  description: C(cluster_size) of C(statistics).
  returned: always
  type: int
cluster_key:
  description: C(cluster_key) of C(statistics).
  returned: always
  type: str
migrate_partitions_remaining:
  description: C(migrate_partitions_remaining) of C(statistics).
  returned: always
  type: int
migrate_fill_delay:
  description: The service's C(migrate-fill-delay) in seconds (Enterprise Edition; null elsewhere).
  returned: always
  type: int
namespaces:
  description: >-
    Per namespace, C(replication_factor), C(effective_replication_factor), C(nodes_quiesced),
    C(unavailable_partitions), C(dead_partitions), C(ns_cluster_size), C(rack_id) (configured),
    C(strong_consistency), C(pending_quiesce) and C(effective_is_quiesced); null where asd does not say.
  returned: always
  type: dict
  sample: {test: {replication_factor: 2, effective_replication_factor: 2, nodes_quiesced: 0, rack_id: 1}}
racks:
  description: >-
    Per namespace, C(racks) (rack id to the member nodes, as of the last rebalance) and C(roster_racks)
    (strong consistency only); null when C(racks:) failed (see RV(racks_error)).
  returned: always
  type: dict
  sample: {test: {racks: {'1': [BB9010011AC4202], '2': [BB9030011AC4202]}, roster_racks: {}}}
racks_error:
  description: Why there are no racks (Community Edition, or the error C(racks:) answered).
  returned: always
  type: str
configured_racks:
  description: Per namespace, the C(rack-id) that C(aerospike.conf) sets (0 where it sets none).
  returned: always
  type: dict
  sample: {test: 1}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_conf
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _node_facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            asinfo=dict(type='list', elements='str', default=['asinfo']),
            namespaces=dict(type='list', elements='str', default=[]),
            config_file=dict(type='path', default=_asd_conf.DEFAULT_CONFIG),
        ),
        supports_check_mode=True,
    )
    try:
        facts = _node_facts.gather(_asinfo.Asinfo(module.params['asinfo']), module.params['namespaces'],
                                   _asd_conf.read_text(module.params['config_file']))
    except _asinfo.AsinfoError as exc:
        module.fail_json(msg='%s. Check that asd runs and asinfo reaches it (the asinfo option).' % to_text(exc))
    module.exit_json(changed=False, **facts)


if __name__ == '__main__':
    main()
