#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: asd_info
short_description: Whether asd's last start was warm and its last stop clean, from its unit and its log
description:
  - Describes asd's systemd unit (state, the last run's C(Result), whether it forces C(--cold-start)).
  - No info command tells a warm restart from a cold start, and none tells a clean shutdown from a killed
    one; asd's log does. This module finds the log, reads the lines of asd's last start and reports, per
    namespace, whether it resumed its index (C(beginning warm restart)) or rebuilt it (a cold start), and
    how the last stop ended (C(finished clean shutdown - exiting) or not).
  - The log is where C(aerospike.conf) sends it. With only a C(console) sink, as Aerospike's packages
    configure it for systemd, the lines are in the journal of the current boot
    (C(journalctl -u aerospike -b)); with a C(file) sink, in that file.
  - Reads only; changes nothing.
version_added: 0.2.0
author:
  - fastrestart.aerospike maintainers (@fastrestart)
options:
  source:
    description:
      - Where to read. V(auto) reads the first C(file) sink of O(config_file), else the journal when the host
        runs systemd.
    type: str
    choices: [auto, journal, file]
    default: auto
  log_file:
    description:
      - The log file to read, instead of the one O(config_file) names. Implies O(source=file).
    type: path
  config_file:
    description:
      - asd's configuration, whose C(logging) stanza says where the log goes. A missing file counts as one
        with a console sink only.
    type: path
    default: /etc/aerospike/aerospike.conf
  unit:
    description:
      - The systemd unit that runs asd, whose journal holds asd's console lines.
    type: str
    default: aerospike
  lines:
    description:
      - How many of the newest lines to read.
    type: int
    default: 20000
  namespaces:
    description:
      - Namespaces to report in RV(start.kinds); a namespace with no line after the last start is
        V(unknown). Empty reports those the log names.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the unit and the log in check mode too, as it changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: fastrestart.aerospike.shm_info
'''

EXAMPLES = r'''
- name: Read how asd last started and stopped
  fastrestart.aerospike.asd_info:
    namespaces: [test, bar]
  register: asd

- name: Require a warm restart of every namespace
  ansible.builtin.assert:
    that: asd.start.cold | length == 0
    fail_msg: "cold: {{ asd.start.cold }}"

- name: Read a log file that aerospike.conf does not name
  fastrestart.aerospike.asd_info:
    log_file: /var/log/aerospike/asd.log
'''

RETURN = r'''
source:
  description: Where the lines were read, V(journal) or V(file).
  returned: always
  type: str
  sample: journal
path:
  description: The file read, or null for the journal.
  returned: always
  type: str
  sample: /var/log/aerospike/aerospike.log
reason:
  description: Why that source was chosen.
  returned: always
  type: str
  sample: aerospike.conf logs to the console, which systemd keeps in the journal
start:
  description: The last start, after the last start banner.
  returned: always
  type: dict
  contains:
    found:
      description: Whether a start banner was found.
      type: bool
    build:
      description: The server build the banner names.
      type: str
    ready:
      description: Whether asd logged C(service ready) after it.
      type: bool
    kinds:
      description: Per namespace V(warm), V(cool) (index kept, data reloaded), V(cold) or V(unknown).
      type: dict
    warm:
      description: Namespaces that resumed their index (warm or cool).
      type: list
      elements: str
    cold:
      description: Namespaces that did not (cold or unknown).
      type: list
      elements: str
    lines:
      description: The banner and each namespace's start lines.
      type: list
      elements: str
  sample: {found: true, build: 7.1.0.0, ready: true, kinds: {test: warm}, warm: [test], cold: [], lines: []}
unit:
  description: asd's systemd unit, as C(systemctl show) describes it; null on a host without systemd.
  returned: always
  type: dict
  contains:
    name:
      description: The unit.
      type: str
    load_state:
      description: V(loaded) when systemd knows the unit.
      type: str
    active_state:
      description: V(active), V(inactive), V(failed), ...
      type: str
    sub_state:
      description: V(running), V(dead), ...
      type: str
    result:
      description: The last run's result, V(success) after a clean exit, V(timeout) after a SIGKILL at the stop timeout.
      type: str
    exec_main_status:
      description: asd's exit status.
      type: str
    environment:
      description: The unit's C(Environment=) settings (drop-ins included).
      type: str
    cold_start_forced:
      description: Whether the environment passes C(--cold-start) to asd (an interrupted C(asd-coldstart) leaves it).
      type: bool
    timeout_stop:
      description: How long systemd waits for the stop before SIGKILL.
      type: str
    unit_file_state:
      description: V(enabled) or V(disabled) (start at boot).
      type: str
    fragment_path:
      description: The unit file.
      type: str
    drop_in_paths:
      description: The drop-ins in force.
      type: list
      elements: str
  sample: {name: aerospike, load_state: loaded, active_state: active, result: success, cold_start_forced: false}
stop:
  description: How the last stop after the last start ended, by the log and the unit's result together.
  returned: always
  type: dict
  contains:
    outcome:
      description: >-
        V(clean), V(failed), V(startup-incomplete), V(interrupted) (no closing line: killed), V(running) (no stop
        logged) or V(no-start).
      type: str
    clean:
      description: >-
        Whether the log's outcome is V(clean) and the unit's result V(success): the only stop after which the next
        start can be warm.
      type: bool
    reason:
      description: Why the stop is, or is not, clean.
      type: str
    lines:
      description: The stop's lines.
      type: list
      elements: str
  sample: {outcome: clean, clean: true, reason: asd finished its clean shutdown, lines: []}
'''

import errno
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_conf
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_log
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asd_unit


def _lines(module, source):
    params = module.params
    if source.kind == 'journal':
        argv = _asd_log.journal_argv(params['unit'], params['lines'])
        rc, out, err = module.run_command(argv)
        if rc != 0:
            module.fail_json(msg='%s failed (rc %d): %s. Give log_file if asd logs to a file.'
                             % (' '.join(argv), rc, err.strip()))
        return out.splitlines()
    try:
        return _asd_log.tail(source.path, params['lines'])
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            # asd creates its log at its first start: before it, there is no start and no stop to read.
            module.warn('the asd log %s does not exist (yet): no start or stop of asd is recorded there' % source.path)
            return []
        module.fail_json(msg='cannot read the asd log %s (%s): give the file asd writes as log_file, or read the '
                         'journal with source=journal' % (source.path, exc.strerror or exc))


def _unit(module, systemd):
    if not systemd:
        return None
    argv = _asd_unit.show_argv(module.params['unit'])
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(argv), rc, err.strip()))
    return _asd_unit.parse_show(module.params['unit'], out)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type='str', default='auto', choices=['auto', 'journal', 'file']),
            log_file=dict(type='path'),
            config_file=dict(type='path', default=_asd_log.DEFAULT_CONFIG),
            unit=dict(type='str', default=_asd_log.DEFAULT_UNIT),
            lines=dict(type='int', default=_asd_log.DEFAULT_LINES),
            namespaces=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    systemd = os.path.isdir('/run/systemd/system')
    try:
        source = _asd_log.choose_source(params['source'], params['log_file'], _asd_conf.read_text(params['config_file']),
                                        systemd=systemd)
    except ValueError as exc:
        module.fail_json(msg=to_text(exc))
    lines = _lines(module, source)
    start = _asd_log.read_start(lines, params['namespaces'])
    stop = _asd_log.read_stop(lines)
    unit = _unit(module, systemd)
    clean, why = _asd_unit.stop_verdict(unit, stop)
    kinds = start.kinds
    module.exit_json(
        changed=False, source=source.kind, path=source.path, reason=source.reason,
        unit=unit._asdict() if unit else None,
        start=dict(start._asdict(), warm=sorted(ns for ns, kind in kinds.items() if kind in ('warm', 'cool')),
                   cold=sorted(ns for ns, kind in kinds.items() if kind not in ('warm', 'cool'))),
        stop=dict(stop._asdict(), clean=clean, reason=why))


if __name__ == '__main__':
    main()
