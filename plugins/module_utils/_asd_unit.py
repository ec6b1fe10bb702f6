# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""asd's systemd unit as `systemctl show` describes it, and the verdict on its last stop.

Aerospike's unit has no Type= and no Restart=: `systemctl stop` sends SIGTERM and, after
TimeoutSec (600 s, or 15 s in the newer template), SIGKILL. A kill in the middle of the clean
shutdown leaves the index unclean, which only the unit's Result (`timeout`, `signal`) and the
missing closing log line (_asd_log) reveal: the unit's ActiveState alone says "inactive" either way.
"""

from __future__ import absolute_import, division, print_function

import collections

__metaclass__ = type

PROPERTIES = ('LoadState', 'ActiveState', 'SubState', 'Result', 'ExecMainStatus', 'Environment',
              'TimeoutStopUSec', 'UnitFileState', 'FragmentPath', 'DropInPaths')
COLD_START_OPTION = '--cold-start'

Unit = collections.namedtuple('Unit', 'name load_state active_state sub_state result exec_main_status environment '
                                      'timeout_stop unit_file_state fragment_path drop_in_paths cold_start_forced')


def show_argv(name):
    return ['systemctl', 'show', '--no-pager'] + ['--property=%s' % prop for prop in PROPERTIES] + [name]


def parse_show(name, text):
    """A Unit from `systemctl show`'s KEY=VALUE lines."""
    values = dict(line.split('=', 1) for line in text.splitlines() if '=' in line)
    environment = values.get('Environment', '')
    return Unit(name, values.get('LoadState', ''), values.get('ActiveState', ''), values.get('SubState', ''),
                values.get('Result', ''), values.get('ExecMainStatus', ''), environment,
                values.get('TimeoutStopUSec', ''), values.get('UnitFileState', ''), values.get('FragmentPath', ''),
                values.get('DropInPaths', '').split(), COLD_START_OPTION in environment)


def stop_verdict(unit, stop):
    """(clean, reason) of the last stop from the unit's Result and the log's StopReport.

    Both must agree: a Result of success with no closing line is a crash that exited 0, and a
    closing line with Result timeout is a kill after the flush (the next start still trusts it,
    but nothing proves the segments were not touched after it).
    """
    if unit is not None and unit.result and unit.result != 'success':
        return False, ('systemd ended the unit %s with Result=%s%s, so asd did not finish its clean shutdown'
                       % (unit.name, unit.result, ' (it sent SIGKILL when the stop timeout of %s ran out)'
                          % unit.timeout_stop if unit.result == 'timeout' else ''))
    return stop.clean, stop.reason
