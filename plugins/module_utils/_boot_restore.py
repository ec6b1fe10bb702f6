# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The decisions of the boot-restore service: back up at shutdown, restore at boot.

A systemd unit ordered before asd runs `start` at boot and `stop` at shutdown (after asd's own
stop). Everything it decides is here, as pure functions of facts the runner
(_boot_restore_run.py) gathers, so that each rule is unit-tested without a host:

- the boot-id chain: the service records the boot id at every start; at the next start that id
  is the previous boot's, and only a backup whose manifest names it, taken by that boot's own
  shutdown, is restored. A boot in which asd ran but no backup was taken (unclean stop, or a boot
  without the service) breaks the chain, so an older backup, whose index asd has since changed,
  is never restored;
- the clean-stop verdict (asd's unit Result and its journal's closing line);
- the shutdown's time: the backup's estimate from the bytes and the rate measured last time,
  against the operator's limit, the unit's stop timeout and the free space;
- retention: the last backup and the one before, older ones removed after a warm start.
"""

from __future__ import absolute_import, division, print_function

import collections
import json
import math
import os
import tempfile

from ansible_collections.fastrestart.aerospike.plugins.module_utils._asd_unit import (
    stop_verdict,
)

__metaclass__ = type

STATE_FILE = '/var/lib/fastrestart-aerospike/boot-restore.json'
HOLD_FILE = '/var/lib/fastrestart-aerospike/boot-restore.hold'
CONFIG_FILE = '/etc/fastrestart-aerospike/boot-restore.json'

# Until a backup has been measured on this host: a rate that a disk-backed folder beats.
ASSUMED_RATE = 100 * 1000 * 1000
# The backup's estimate is multiplied by SAFETY (rates vary with the page cache and other load)
# and FIXED seconds are added (the interpreter, systemctl and journalctl, fsyncs).
SAFETY = 1.5
FIXED_SECONDS = 5.0
# The unit's stop timeout leaves room for the index to grow until the next shutdown.
TIMEOUT_GROWTH = 2.0
MIN_TIMEOUT = 30
KEEP = 2

DEFAULTS = {
    'backup_root': '/var/backups/aerospike-boot-restore',
    'instance': 0,
    'asd_unit': 'aerospike',
    'unit': 'aerospike-boot-restore',
    'shutdown_limit': 300,
    'free_reserve_bytes': 100 * 1024 * 1024,
    'compress': False,
    'threads': 0,
    'assumed_rate': ASSUMED_RATE,
    'keep': KEEP,
    'state_file': STATE_FILE,
    'hold_file': HOLD_FILE,
    'drop_in_dir': '/etc/systemd/system/aerospike-boot-restore.service.d',
}

Decision = collections.namedtuple('Decision', 'action reason details')


def decision(action, reason, **details):
    return Decision(action, reason, details)


# ----------------------------------------------------------------------------------------------
# configuration and state files

def load_json(path, default=None):
    """The JSON object in path, or default when the file is missing or unreadable."""
    try:
        with open(path, 'rb') as handle:
            document = json.loads(handle.read().decode('utf-8'))
    except (IOError, OSError, ValueError):
        return default
    return document if isinstance(document, dict) else default


def load_text(path):
    """The file's text, or None when it is missing."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def load_config(path=CONFIG_FILE):
    config = dict(DEFAULTS)
    config.update(load_json(path, {}) or {})
    return config


def save_json(path, document):
    """Write atomically (temp file, fsync, rename, fsync the folder): a reboot may follow at once."""
    folder = os.path.dirname(path) or '.'
    if not os.path.isdir(folder):
        os.makedirs(folder, 0o700)
    handle, temp = tempfile.mkstemp(prefix='.tmp-', dir=folder)
    try:
        with os.fdopen(handle, 'wb') as out:
            out.write(json.dumps(document, indent=2, sort_keys=True).encode('utf-8'))
            out.flush()
            os.fsync(out.fileno())
        os.rename(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def same_boot(left, right):
    """Boot ids compare without dashes: journalctl prints them without, /proc with."""
    return bool(left) and bool(right) and left.replace('-', '').lower() == right.replace('-', '').lower()


def previous_boot_from_list(text):
    """The boot before the current one in `journalctl --list-boots` (lines 'IDX BOOTID ...'), or None."""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == '-1':
            return fields[1]
    return None


_SPAN_UNITS = (('usec', 1e-6), ('us', 1e-6), ('msec', 1e-3), ('ms', 1e-3), ('seconds', 1), ('second', 1),
               ('sec', 1), ('s', 1), ('minutes', 60), ('minute', 60), ('min', 60), ('hours', 3600),
               ('hour', 3600), ('hr', 3600), ('h', 3600), ('days', 86400), ('day', 86400), ('d', 86400))


def parse_timespan(text):
    """Seconds of a systemd time span as `systemctl show` prints it ("5min 30s", "infinity"), None if unknown."""
    text = (text or '').strip()
    if not text or text == 'infinity':
        return None
    total = 0.0
    for word in text.split():
        number = word.rstrip('abcdefghijklmnopqrstuvwxyz')
        unit = word[len(number):] or 's'
        factor = dict(_SPAN_UNITS).get(unit)
        try:
            total += float(number) * factor
        except (TypeError, ValueError):
            return None
    return total


def needed_limits(facts):
    """The kernel.shm* values a restore plan's facts need, where they exceed the current ones.

    The limits belong to the IPC namespace and reset at boot; asd's own ExecStartPre raises them
    only when asd starts, after this restore, so the service raises what the restore needs
    (the plan's required_limits, by _capacity's rule).
    """
    limits = facts.get('kernel_limits') or {}
    wanted = facts.get('required_limits') or {}
    return dict((name, value) for name, value in wanted.items() if value > limits.get(name, 0))


# ----------------------------------------------------------------------------------------------
# boot: restore or not

def start_decision(state, current_boot, journal_previous, held, folder_facts, live_segments):
    """Whether this boot restores, and which folder. One Decision, action 'restore' or 'none'.

    state: the service's record (boot recorded at its last start, the last shutdown); journal_previous:
    the previous boot's id in the journal, or None when the journal keeps no earlier boot;
    folder_facts: _info.backup_facts of the folder the last shutdown wrote (None when none);
    live_segments: how many segments of the instance exist now.
    """
    recorded = (state.get('boot') or {}).get('id')
    shutdown = state.get('shutdown') or {}
    if held:
        return decision('none', '%s holds the service (%s): it restores the index itself' % (
            held.get('by', 'an operator'), held.get('cycle', 'no cycle named')))
    if not recorded:
        return decision('none', 'no boot recorded yet: the service starts its chain with this boot')
    if same_boot(recorded, current_boot):
        return decision('none', 'the service already started in this boot (a restart of the unit)')
    if journal_previous and not same_boot(journal_previous, recorded):
        return decision('none', 'the previous boot %s is not the one the service recorded (%s): the service did not run '
                                'in it, so asd may have changed its index since any backup here'
                        % (journal_previous, recorded))
    if not same_boot(shutdown.get('boot_id'), recorded):
        return decision('none', 'the previous boot %s recorded no shutdown (a crash, a power loss, or the service '
                                'killed): its index was not backed up' % recorded)
    if shutdown.get('result') != 'backed-up':
        return decision('none', 'the previous boot\'s shutdown took no backup: %s' % shutdown.get('reason', 'unknown'))
    return _check_folder(shutdown, recorded, folder_facts, live_segments)


def _check_folder(shutdown, recorded, facts, live_segments):
    folder = shutdown.get('folder')
    if not facts or facts.get('state') != 'complete':
        return decision('none', 'the previous boot\'s backup %s is not complete (state %s)'
                        % (folder, (facts or {}).get('state', 'missing')))
    stale = [n['namespace'] for n in facts['namespaces'] if not same_boot(n.get('boot_id'), recorded)]
    if stale or not same_boot(facts.get('boot_id'), recorded):
        return decision('none', 'the manifests in %s name boot %s, not the previous boot %s%s: a stale index is never '
                                'restored' % (folder, facts.get('boot_id'), recorded,
                                              ' (namespaces %s)' % ', '.join(stale) if stale else ''))
    if live_segments:
        return decision('none', '%d segments of the instance already exist: asd\'s index survived, or something '
                                'made them, and a restore never overwrites them' % live_segments)
    names = sorted(set(n['namespace'] for n in facts['namespaces']))
    return decision('restore', 'restoring the backup the previous boot %s took at its shutdown' % recorded,
                    folder=folder, namespaces=names, bytes=facts.get('bytes', 0))


# ----------------------------------------------------------------------------------------------
# shutdown: back up or not

def estimate_seconds(nbytes, rate):
    """Seconds the backup of nbytes should take at rate bytes/s, with the safety margin."""
    return nbytes / float(rate) * SAFETY + FIXED_SECONDS


def stop_timeout(nbytes, rate, limit):
    """The unit's TimeoutStopSec for an index of nbytes: room to grow, never above the operator's limit."""
    wanted = max(MIN_TIMEOUT, int(math.ceil(estimate_seconds(nbytes, rate) * TIMEOUT_GROWTH)))
    return min(int(limit), wanted)


def measured_rate(state, assumed):
    """Bytes/s of the last backup this service measured, else the assumed rate."""
    last = (state.get('last_backup') or {})
    return last.get('rate') or assumed


def stop_decision(unit, stop_report, held, nbytes, rate, limit, timeout, free_bytes, reserve):
    """Whether this shutdown backs up. One Decision, action 'backup' or 'skip'.

    unit: asd's _asd_unit.Unit; stop_report: _asd_log.StopReport of this boot's journal;
    timeout: this unit's own stop timeout in seconds (None: unknown), which systemd enforces.
    """
    if held:
        return decision('skip', '%s holds the service (%s): it backs up the index itself' % (
            held.get('by', 'an operator'), held.get('cycle', 'no cycle named')))
    if unit is not None and unit.active_state in ('active', 'activating', 'deactivating', 'reloading'):
        return decision('skip', 'asd (%s) is %s: this is no shutdown after its stop, and a running index is not '
                                'clean' % (unit.name, unit.active_state))
    clean, why = stop_verdict(unit, stop_report)
    if not clean:
        return decision('skip', 'asd\'s stop was not clean: %s. The next start of asd will be cold' % why)
    if not nbytes:
        return decision('skip', 'no segments of the instance are in shared memory: nothing to back up, the next start '
                                'of asd will be cold')
    estimate = estimate_seconds(nbytes, rate)
    budget = min(float(limit), float(timeout)) if timeout else float(limit)
    details = {'bytes': nbytes, 'estimate_seconds': round(estimate, 2), 'budget_seconds': budget, 'rate': rate}
    if estimate > budget:
        return decision('skip', 'backing up %d bytes at %.0f MB/s would take about %.0f s, more than the %.0f s this '
                                'shutdown may take: no backup, the next start of asd will be cold; raise the limit'
                        % (nbytes, rate / 1e6, estimate, budget), **details)
    if free_bytes is not None and free_bytes < nbytes + reserve:
        return decision('skip', 'the backup folder has %d bytes free, short of the %d bytes of the index plus the %d '
                                'reserved: no backup, the next start of asd will be cold' % (free_bytes, nbytes, reserve),
                        **details)
    return decision('backup', 'asd stopped cleanly (%s): backing up %d bytes, about %.1f s' % (why, nbytes, estimate),
                    **details)


# ----------------------------------------------------------------------------------------------
# retention

def warm_confirmed(start_report):
    """Whether asd's last start in this boot resumed every namespace (warm or cool)."""
    kinds = start_report.kinds if start_report is not None and start_report.found else {}
    return bool(kinds) and all(kind in ('warm', 'cool') for kind in kinds.values())


def to_remove(folders, confirmed, keep=KEEP):
    """The service's folders (newest first) to remove: beyond the newest `keep`, and only once a warm
    start is confirmed, since until then the one before may be the only index to go back to."""
    if not confirmed:
        return []
    return list(folders[max(int(keep), 1):])


def folder_name(epoch_text, boot_id):
    """A folder per shutdown: sortable time, then the boot it backs up."""
    return '%s-%s' % (epoch_text, (boot_id or 'unknown').replace('-', '')[:12])


# ----------------------------------------------------------------------------------------------
# the report shm_info returns

def report(state, held):
    """The service's last shutdown backup and boot restore, for shm_info; None when never run."""
    if not state:
        return None
    return {
        'boot_id': (state.get('boot') or {}).get('id'),
        'previous_boot_id': (state.get('boot') or {}).get('previous'),
        'held': bool(held),
        'hold': held or None,
        'last_shutdown': state.get('shutdown'),
        'last_backup': state.get('last_backup'),
        'last_restore': state.get('restore'),
        'backups': [entry.get('folder') for entry in state.get('backups') or []],
        'stop_timeout_seconds': state.get('stop_timeout'),
    }
