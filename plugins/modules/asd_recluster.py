#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: asd_recluster
short_description: Send one recluster that the cluster's principal takes
description:
  - Sends C(recluster:) to the cluster's nodes in turn, O(first) first, until the principal answers C(ok); the other
    nodes answer C(ignored-by-non-principal), and a principal that declines (C(ERROR)) is asked again after
    O(interval) seconds, until O(timeout).
  - Quiescing several nodes and then one recluster applies their quiesce together (Aerospike's manage quiesce).
version_added: 0.3.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  nodes:
    description:
      - The cluster's nodes, by name, each with the address that C(asinfo -h) reaches it at.
    type: dict
    required: true
  first:
    description:
      - The node to ask first, the principal as last seen (RV(fastrestart.aerospike.asd_gate#module:principal)).
    type: str
  timeout:
    description: Seconds to keep asking.
    type: int
    default: 60
  interval:
    description: Seconds between two rounds.
    type: float
    default: 1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - fastrestart.aerospike.asd
attributes:
  check_mode:
    support: full
    details:
      - Sends nothing in check mode and reports C(changed).
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: fastrestart.aerospike.asd_gate
'''

EXAMPLES = r'''
- name: Recluster once, so that the quiesced nodes of the batch hand over together
  fastrestart.aerospike.asd_recluster:
    nodes: {h1: 10.0.0.1, h2: 10.0.0.2, h3: 10.0.0.3}
    first: h1
  run_once: true
'''

RETURN = r'''
accepted_by:
  description: The node that answered C(ok) (the principal); null in check mode.
  returned: always
  type: str
replies:
  description: Each node's last reply.
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _recluster


def main():
    module = AnsibleModule(
        argument_spec=dict(
            asinfo=dict(type='list', elements='str', default=['asinfo']),
            nodes=dict(type='dict', required=True),
            first=dict(type='str'),
            timeout=dict(type='int', default=60),
            interval=dict(type='float', default=1.0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if module.check_mode:
        module.exit_json(changed=True, accepted_by=None, replies={})
    accepted_by, replies = _recluster.recluster(_asinfo.each_node(params['asinfo'], params['nodes']), params['first'],
                                                params['timeout'], params['interval'])
    if accepted_by is None:
        module.fail_json(msg='No node took recluster: within %d s (replies %s). The principal must be among the nodes '
                         'given (list every cluster node in rolling_reboot_cluster_group), and each must be reachable '
                         'with asinfo -h. Undo a quiesce with asinfo -v quiesce-undo: on the quiesced nodes if you stop '
                         'here.' % (params['timeout'], replies), replies=replies)
    module.exit_json(changed=True, accepted_by=accepted_by, replies=replies)


if __name__ == '__main__':
    main()
