# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The boot-restore service's runner: gathers the facts, applies _boot_restore's decisions, acts.

Runs on the host with Debian's bare python3 (System V through ctypes), from the unit that the
boot_restore role installs: `start` at boot (before asd), `stop` at shutdown (after asd's stop).
Every line it prints lands in the journal of its unit. It never fails the unit: a failed unit
would not run its stop at the next shutdown, and asd must start (cold) whatever happened here.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _boot_restore as rules
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils._asd_log import (
    journal_argv,
    read_start,
    read_stop,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._asd_unit import (
    parse_show,
    show_argv,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._backup import (
    execute_backup,
    plan_backup,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    live_members,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._info import (
    backup_facts,
    namespace_facts,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._restore import (
    execute_restore,
    plan_restore,
)

__metaclass__ = type

PROC_KERNEL = '/proc/sys/kernel'


def say(text):
    # One line per event, flushed at once: systemd stamps each line in the journal as it comes.
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def _output(argv):
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, dummy = proc.communicate()
    except OSError:
        return None
    return out.decode('utf-8', 'replace') if proc.returncode == 0 else None


def asd_unit(name):
    text = _output(show_argv(name))
    return parse_show(name, text) if text is not None else None


def asd_lines(name):
    return (_output(journal_argv(name)) or '').splitlines()


def stop_report(unit, name, wait=3.0):
    """How asd's last stop ended; its closing line may reach the journal a moment after it exited."""
    deadline = time.monotonic() + wait
    while True:
        report = read_stop(asd_lines(name))
        inactive = unit is None or unit.active_state not in ('active', 'activating', 'deactivating')
        # A kill (Result=signal or timeout) logs no closing line at all: no point in waiting for it.
        killed = unit is not None and unit.result not in ('', 'success')
        if report.outcome != 'running' or not inactive or killed or time.monotonic() > deadline:
            return report
        time.sleep(0.2)


def own_timeout(unit):
    text = _output(['systemctl', 'show', '--no-pager', '--property=TimeoutStopUSec', unit]) or ''
    return rules.parse_timespan(text.partition('=')[2])


def journal_previous_boot():
    return rules.previous_boot_from_list(_output(['journalctl', '--list-boots', '--no-pager']) or '')


def live_namespaces(instance):
    """(names, bytes) of the instance's namespaces in shared memory."""
    found, dummy = namespace_facts(instance)
    return sorted(set(n['namespace'] for n in found)), sum(n['bytes'] for n in found)


# ----------------------------------------------------------------------------------------------
# start (boot)

def start(config):
    began = time.monotonic()
    state = rules.load_json(config['state_file'], {}) or {}
    held = rules.load_json(config['hold_file'])
    current = _host.boot_id()
    shutdown = state.get('shutdown') or {}
    folder = shutdown.get('folder')
    facts = backup_facts(folder, config['instance'], current_boot_id=current) if folder else None
    live = len(live_members(config['instance']))
    verdict = rules.start_decision(state, current, journal_previous_boot(), held, facts, live)
    record = {'boot_id': current, 'time': _host.now_iso(), 'result': 'none', 'reason': verdict.reason,
              'bytes': 0, 'seconds': 0.0, 'folder': verdict.details.get('folder')}
    if verdict.action == 'restore':
        say('restore: %s: %s (%d bytes) from %s' % (
            verdict.reason, ', '.join(verdict.details['namespaces']), verdict.details['bytes'], folder))
        record.update(_restore(config, verdict.details))
    else:
        say('no restore: %s. asd will start cold unless its index is still in shared memory' % verdict.reason)
    state['boot'] = {'id': current, 'previous': (state.get('boot') or {}).get('id'), 'started': record['time']}
    if verdict.action == 'restore' or not rules.same_boot((state.get('restore') or {}).get('boot_id'), current):
        state['restore'] = record
    record['service_seconds'] = round(time.monotonic() - began, 3)
    rules.save_json(config['state_file'], state)
    return 0


def _core_run(what, run, consequence):
    """(result, seconds, None) of run(), or (None, None, the failure's record) when the core refused or failed.

    consequence follows the error: what the failure means for asd's next start.
    """
    began = time.monotonic()
    try:
        result = run()
    except ShmError as exc:
        say('%s failed: %s. %s' % (what, exc.msg, consequence))
        return None, None, {'result': 'failed', 'reason': exc.msg, 'seconds': round(time.monotonic() - began, 3)}
    return result, round(time.monotonic() - began, 3), None


def _restore(config, details):
    def run():
        plan = plan_restore(details['folder'], details['namespaces'], config['instance'], config['threads'] or None)
        if any(p.code == 'kernel-limits' for p in plan.all_problems()):
            _raise_limits(rules.needed_limits(plan.facts))
            plan = plan_restore(details['folder'], details['namespaces'], config['instance'], config['threads'] or None)
        plan.raise_if_refused()
        return execute_restore(plan)
    result, seconds, failure = _core_run('restore', run, 'asd will start cold')
    if failure:
        return failure
    say('restored %d bytes in %.2f s (%s): asd will find its index and start warm' % (
        result['bytes'], seconds, ', '.join(n['namespace'] for n in result['namespaces'])))
    return {'result': 'restored', 'bytes': result['bytes'], 'seconds': seconds}


def _raise_limits(limits):
    for name, value in sorted(limits.items()):
        say('raising kernel.%s to %d for the restore' % (name, value))
        with open(os.path.join(PROC_KERNEL, name), 'w') as handle:
            handle.write('%d\n' % value)


# ----------------------------------------------------------------------------------------------
# stop (shutdown)

def stop(config):
    began = time.monotonic()
    state = rules.load_json(config['state_file'], {}) or {}
    held = rules.load_json(config['hold_file'])
    current = _host.boot_id()
    unit = asd_unit(config['asd_unit'])
    report = stop_report(unit, config['asd_unit'])
    names, nbytes = live_namespaces(config['instance'])
    rate = rules.measured_rate(state, config['assumed_rate'])
    verdict = rules.stop_decision(unit, report, held, nbytes, rate, config['shutdown_limit'],
                                  own_timeout(config['unit']), _folder.free_bytes(config['backup_root']),
                                  config['free_reserve_bytes'])
    record = {'boot_id': current, 'time': _host.now_iso(), 'result': 'skipped', 'reason': verdict.reason,
              'bytes': 0, 'seconds': 0.0, 'folder': None, 'estimate_seconds': verdict.details.get('estimate_seconds')}
    if verdict.action == 'backup':
        say('backup: %s' % verdict.reason)
        record.update(_backup(config, state, names, nbytes, current))
    else:
        say('no backup: %s' % verdict.reason)
    record['service_seconds'] = round(time.monotonic() - began, 3)
    state['shutdown'] = record
    rules.save_json(config['state_file'], state)
    return 0


def _backup(config, state, names, nbytes, current):
    folder = os.path.join(config['backup_root'], rules.folder_name(time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()), current))

    def run():
        plan = plan_backup(folder, names, config['instance'], bool(config['compress']), config['threads'] or None,
                           create_parents=True)
        plan.raise_if_refused()
        return execute_backup(plan)
    result, seconds, failure = _core_run('backup', run, 'The next start of asd will be cold')
    if failure:
        return failure
    rate = int(result['bytes'] / seconds) if seconds > 0 else None
    say('backed up %d bytes in %.2f s (%.0f MB/s) to %s: the next boot restores it' % (
        result['bytes'], seconds, (rate or 0) / 1e6, folder))
    state['last_backup'] = {'boot_id': current, 'time': _host.now_iso(), 'folder': folder,
                            'bytes': result['bytes'], 'seconds': seconds, 'rate': rate}
    state['backups'] = [{'folder': folder, 'boot_id': current}] + list(state.get('backups') or [])
    _retain(config, state)
    _tune(config, state, nbytes, rate)
    return {'result': 'backed-up', 'bytes': result['bytes'], 'seconds': seconds, 'folder': folder}


def _retain(config, state):
    confirmed = rules.warm_confirmed(read_start(asd_lines(config['asd_unit'])))
    folders = [entry['folder'] for entry in state['backups']]
    gone = rules.to_remove(folders, confirmed, config['keep'])
    root = os.path.realpath(config['backup_root']) + os.sep
    for folder in gone:
        # Only folders this service made, under its own root.
        if os.path.realpath(folder).startswith(root):
            shutil.rmtree(folder, ignore_errors=True)
            say('removed the old backup %s: asd\'s warm start in this boot is confirmed' % folder)
    state['backups'] = [entry for entry in state['backups'] if entry['folder'] not in gone]
    if len(folders) > int(config['keep']) and not confirmed:
        say('kept every backup: asd\'s start in this boot was not confirmed warm')


def _tune(config, state, nbytes, rate):
    """Write the stop timeout for the next boot's shutdown; systemd reads it at its next load."""
    timeout = rules.stop_timeout(nbytes, rate or config['assumed_rate'], config['shutdown_limit'])
    path = os.path.join(config['drop_in_dir'], '50-stop-timeout.conf')
    text = ('# Written by fastrestart.aerospike\'s boot-restore service from its last backup (%d bytes at %s B/s).\n'
            '[Service]\nTimeoutStopSec=%d\n' % (nbytes, rate, timeout))
    changed = rules.load_text(path) != text
    if changed:
        if not os.path.isdir(config['drop_in_dir']):
            os.makedirs(config['drop_in_dir'], 0o755)
        with open(path + '.tmp', 'w') as handle:
            handle.write(text)
        os.rename(path + '.tmp', path)
    state['stop_timeout'] = timeout
    return timeout, changed


# ----------------------------------------------------------------------------------------------
# status and tune, for the role and for people

def status(config):
    state = rules.load_json(config['state_file'], {}) or {}
    say(json.dumps(rules.report(state, rules.load_json(config['hold_file'])), indent=2, sort_keys=True))
    return 0


def tune(config):
    """The stop timeout from the index in shared memory now (or the last backup's) and the measured rate."""
    state = rules.load_json(config['state_file'], {}) or {}
    dummy, nbytes = live_namespaces(config['instance'])
    nbytes = nbytes or (state.get('last_backup') or {}).get('bytes') or 0
    timeout, changed = _tune(config, state, nbytes, rules.measured_rate(state, config['assumed_rate']))
    rules.save_json(config['state_file'], state)
    say(json.dumps({'changed': changed, 'stop_timeout_seconds': timeout, 'bytes': nbytes}))
    return 0


COMMANDS = {'start': start, 'stop': stop, 'status': status, 'tune': tune}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    config_path = rules.CONFIG_FILE
    if len(argv) >= 2 and argv[0] == '--config':
        config_path, argv = argv[1], argv[2:]
    if len(argv) != 1 or argv[0] not in COMMANDS:
        sys.stderr.write('usage: boot-restore [--config FILE] {%s}\n' % ','.join(sorted(COMMANDS)))
        return 2
    try:
        return COMMANDS[argv[0]](rules.load_config(config_path))
    except Exception as exc:  # pylint: disable=broad-except
        # Never fail the unit (see the module's docstring): say what broke, cold start next.
        say('boot-restore %s failed unexpectedly: %s: %s' % (argv[0], type(exc).__name__, exc))
        return 0 if argv[0] in ('start', 'stop') else 1
