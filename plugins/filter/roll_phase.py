# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: roll_phase
short_description: Where a host stands in a rolling reboot's cycle
version_added: 0.3.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
description:
  - From M(fastrestart.aerospike.shm_info)'s description of a host (segments, backup folders newest first, boot id)
    and whether asd runs, the phase of the cycle the host resumes at - V(done), V(full), V(restore), V(backup) or
    V(lost) - and the backup folder the cycle uses.
  - The rules are in the collection's C(plugins/module_utils/_roll_phase.py), where they are tested.
options:
  _input:
    description: What M(fastrestart.aerospike.shm_info) returned, with O(fastrestart.aerospike.shm_info#module:backup_root).
    type: dict
    required: true
  running:
    description: Whether asd answers.
    type: bool
    required: true
  cycle:
    description: The cycle name the operator gave; empty for a new roll.
    type: str
    required: true
  backup_root:
    description: The folder of the backup folders.
    type: str
    required: true
  named_cycle:
    description: The cycle name this roll uses.
    type: str
    required: true
  clock_suffix:
    description: What a folder name already taken gets appended (the time).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Work out the phase of the cycle
  ansible.builtin.set_fact:
    phase: "{{ info | fastrestart.aerospike.roll_phase(true, '', '/var/backups/aerospike', '20261203T101500Z', '101500') }}"
'''

RETURN = r'''
_value:
  description: The phase, the folder, the bytes at stake and the boot id before the cycle.
  type: dict
  sample: {phase: full, folder: /var/backups/aerospike/20261203T101500Z, bytes: 8585216, boot_before: 0f3c...}
'''

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _roll_phase


def roll_phase(info, running, cycle, backup_root, named_cycle, clock_suffix):
    return _roll_phase.decide(info, running, cycle, backup_root, named_cycle, clock_suffix)


class FilterModule:
    def filters(self):
        return {'roll_phase': roll_phase}
