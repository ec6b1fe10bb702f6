#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: roll_plan
short_description: Plan a rolling reboot's batches, a whole rack at a time where the cluster allows
description:
  - Takes every node's facts (M(fastrestart.aerospike.asd_cluster_info)) and orders the hosts into batches.
  - By rack when every namespace has at least two racks made of the same nodes, every node agrees on
    C(racks:), replication factors are at least 2, the configured rack-ids are in force, and the edition is
    Enterprise. Otherwise one batch of O(serial) hosts at a time, with RV(plan.reason) saying which fact failed.
  - A batch never spans two racks. Racks go in ascending order; a rack with a host left mid-cycle
    (asd down) goes first, so an interrupted roll finishes that rack before it stops another.
  - Also forecasts the roll's duration from the last roll's report or defaults.
  - Pure computation on its inputs; run it on the controller (C(delegate_to=localhost), C(run_once)).
version_added: 0.3.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  nodes:
    description:
      - Per inventory host, what M(fastrestart.aerospike.asd_cluster_info) returned there.
    type: dict
    required: true
  hosts:
    description:
      - The hosts to roll, in inventory order.
    type: list
    elements: str
    required: true
  by_rack:
    description:
      - Roll a rack at a time where the cluster allows. V(false) rolls O(serial) hosts at a time.
    type: bool
    default: true
  batch_size:
    description:
      - Hosts per batch within a rack, a whole number or a percentage of the rack rounded down (at least 1),
        as the Aerospike Kubernetes Operator's C(rollingUpdateBatchSize). V(100%) is the whole rack.
    type: str
    default: 100%
  serial:
    description:
      - Hosts per batch when not rolling by rack.
    type: int
    default: 1
  sc_rack_ok:
    description:
      - Roll by rack although a strong-consistency namespace has fewer than 3 roster racks.
    type: bool
    default: false
  forks:
    description:
      - Ansible's forks (C(ansible_forks)); a batch wider than this runs each step in turns.
    type: int
    default: 5
  sizes:
    description:
      - Per host, the bytes of its segments, for the forecast.
    type: dict
    default: {}
  fill_delay:
    description:
      - The C(migrate-fill-delay) the roll sets for its duration (0 sets none), for the advice in RV(lines).
    type: int
    default: 0
  report_file:
    description:
      - The last roll's report (C(rolling_reboot_report_file)); missing or unreadable means defaults.
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - fastrestart.aerospike.asd.read_only
seealso:
  - module: fastrestart.aerospike.asd_cluster_info
  - module: fastrestart.aerospike.asd_gate
'''

EXAMPLES = r'''
- name: Learn each node's facts
  fastrestart.aerospike.asd_cluster_info:
  register: node

- name: Plan the batches
  fastrestart.aerospike.roll_plan:
    nodes: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'node'))) }}"
    hosts: "{{ ansible_play_hosts_all }}"
    forks: "{{ ansible_forks }}"
  delegate_to: localhost
  run_once: true
  register: roll
'''

RETURN = r'''
plan:
  description: The batches and why.
  returned: always
  type: dict
  contains:
    mode:
      description: V(rack) or V(node).
      type: str
    reason:
      description: Why not by rack (null when by rack).
      type: str
    serial:
      description: Hosts per batch, for the play's C(serial).
      type: list
      elements: int
    order:
      description: The hosts in roll order, for the play's host list.
      type: list
      elements: str
    batches:
      description: Each batch's rack (null when not by rack) and hosts.
      type: list
      elements: dict
    warnings:
      description: What the operator should know (forks below the batch size, cluster nodes outside the play).
      type: list
      elements: str
    sc_namespaces:
      description: Strong-consistency namespaces, whose availability is read right after each stop.
      type: list
      elements: str
  sample: {mode: rack, reason: null, serial: [2, 2, 2], order: [h1, h2, h3, h4, h5, h6]}
racks:
  description: The racks the plan was made from, as C(racks:) reported them; each batch must leave them so.
  returned: always
  type: dict
lines:
  description: The plan, the gates and the forecast, in words.
  returned: always
  type: list
  elements: str
forecast:
  description: Per-step seconds, per batch seconds and the total, with their source.
  returned: always
  type: dict
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _gate
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_forecast
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_plan


def _report(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError, TypeError):
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type='dict', required=True),
            hosts=dict(type='list', elements='str', required=True),
            by_rack=dict(type='bool', default=True),
            batch_size=dict(type='str', default='100%'),
            serial=dict(type='int', default=1),
            sc_rack_ok=dict(type='bool', default=False),
            forks=dict(type='int', default=5),
            sizes=dict(type='dict', default={}),
            fill_delay=dict(type='int', default=0),
            report_file=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        plan = _roll_plan.plan_roll(params['nodes'], params['hosts'], params['by_rack'], params['batch_size'],
                                    params['serial'], params['sc_rack_ok'], params['forks'])
    except ValueError as exc:
        module.fail_json(msg=to_text(exc))
    model = _roll_forecast.step_model(_report(params['report_file']) if params['report_file'] else None)
    result = plan.to_dict()
    forecast = _roll_forecast.forecast(result['batches'], params['sizes'], model, params['forks'], plan.mode)
    gates = [_gate.DESCRIPTIONS[gate] for gate in _gate.GATES if plan.mode == 'rack' and
             (gate != 'survivors' or plan.sc_namespaces)]
    lines = _roll_plan.describe(plan) + ['Gate %s' % text for text in gates] + _roll_forecast.describe(forecast)
    if plan.mode == 'rack':
        lines.append(_roll_forecast.fill_delay_advice(forecast, params['fill_delay']))
    module.exit_json(changed=False, plan=result, racks=_roll_plan.racks_of(params['nodes']), lines=lines,
                     forecast=forecast)


if __name__ == '__main__':
    main()
