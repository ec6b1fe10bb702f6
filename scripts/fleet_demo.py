# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet demo: a rolling kernel-patch reboot, a rack at a time, of a 4-node Aerospike cluster with warm restarts.

Boots real Debian 12 hosts (sim/fleet.py: systemd-nspawn with systemd, journald and sshd, the
hosts' own python3 without sysv_ipc, asd as aerospike.service, real reboots that wipe shared
memory), runs playbooks/rolling_reboot.yml against them exactly as an operator would, prints per
host how long each step took next to what a cold start of the same index would have cost, and
the first host's journal of its cycle, then tears the fleet down. Exits with the playbook's status.

    scripts/run-demo [--hosts 4] [--racks 2] [--size 256M] [--base-port 2431] [--keep]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLEET = os.path.join(TOP, 'sim', 'fleet.py')
# The simulator rebuilds an index on a cold start at ASD_SIM_COLD_RATE bytes/s (sim/README.md).
DEFAULT_COLD_RATE = 200 * 1024 * 1024
# A real cold start reads every record back from its devices to rebuild the 64-byte index
# entries; half a million records a second per node is an optimistic round figure for it.
REAL_RECORDS_PER_SECOND = 500000
INDEX_ENTRY = 64
# Lines of a host's journal that tell its cycle: asd's own, its unit's, the modules that backed up and
# restored, the stop's drop-in, and the reboot. Ansible logs each module's whole invocation; the first
# 150 characters name it.
JOURNAL_WORDS = (' asd[', 'aerospike.service', 'shm_backup', 'shm_verify', 'shm_restore', 'sysctl -w', '-- reboot --',
                 'Reached target reboot', 'legacy.copy', 'Reloading', 'asd-systemd-helper')
JOURNAL_WIDTH = 150
STEPS = (('stop', 'stop'), ('backup', 'backup'), ('reboot', 'reboot'), ('restore', 'restore'),
         ('warm_start', 'warm start'), ('rejoin', 'rejoin'))


def size_bytes(text):
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    text = text.strip().upper()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def run(argv, **kwargs):
    return subprocess.run(argv, check=False, **kwargs)


def fleet(action, fleet_dir, *extra):
    return run([sys.executable, FLEET, action, '--dir', fleet_dir] + list(extra))


def table(reports, cold_rate):
    head = '%-6s %12s' % ('host', 'index') + ''.join(' %11s' % step[1] for step in STEPS)
    head += ' %9s  %s' % ('total', 'cold start instead: simulator / real server (estimate)')
    lines = [head, '-' * len(head)]
    for report in reports:
        timings = report.get('timings') or {}
        cells = ''.join(' %10.1fs' % timings[step[0]] if step[0] in timings else ' %11s' % '-' for step in STEPS)
        cold = report['bytes'] / float(cold_rate)
        kinds = ', '.join('%s %s' % item for item in sorted((report.get('start_kinds') or {}).items()))
        real = report['bytes'] / float(INDEX_ENTRY) / REAL_RECORDS_PER_SECOND
        lines.append('%-6s %9.0f MiB%s %8.1fs  %6.1fs / %6.1fs, %s' % (
            report['host'], report['bytes'] / 1048576.0, cells, sum(timings.values()), cold, real,
            kinds or report.get('status', '?')))
        if report.get('status') == 'FAILED':
            lines.append('       failed at %s: %s' % (report.get('failed_step'), report.get('error')))
    return '\n'.join(lines)


def journal_excerpt(fleet_dir, host):
    """The host's journal over its last two boots, cut to the cycle: asd's unit, the modules that
    backed up and restored (Ansible logs each invocation), the drop-in's reload and the reboot."""
    command = ('journalctl --no-pager -o short-precise -b -1 2>/dev/null; echo "-- reboot --"; '
               'journalctl --no-pager -o short-precise -b 0')
    sys.path.insert(0, os.path.dirname(FLEET))
    import fleet as fleet_sim  # pylint: disable=import-error,import-outside-toplevel
    lines = fleet_sim.ssh(fleet_dir, host, command, timeout=120).stdout.splitlines()
    keep = [line[:JOURNAL_WIDTH] for line in lines if any(word in line for word in JOURNAL_WORDS)]
    head = '\n%s\'s journal of its cycle (%d of %d lines):\n' % (host, len(keep), len(lines))
    return head + '\n'.join('  ' + line for line in keep)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=4)
    parser.add_argument('--racks', type=int, default=2, help='racks the hosts are split into, default %(default)s')
    parser.add_argument('--size', default='256M', help='primary index per host (K/M/G), default %(default)s')
    parser.add_argument('--base-port', type=int, default=2431, help='SSH port of h1; the others follow')
    parser.add_argument('--keep', action='store_true', help='leave the fleet running (stop: sim/fleet.py down)')
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error('run as root: the simulated hosts are Linux namespaces')

    fleet_dir = tempfile.mkdtemp(prefix='fastrestart-fleet-demo-', dir='/var/tmp')
    report_file = os.path.join(fleet_dir, 'report.json')
    log_file = os.path.join(fleet_dir, 'rolling_reboot.log')
    cold_rate = int(os.environ.get('ASD_SIM_COLD_RATE') or DEFAULT_COLD_RATE)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(TOP, '.venv', 'collections'),
               ANSIBLE_PIPELINING='true', ANSIBLE_HOST_KEY_CHECKING='false', ANSIBLE_NOCOLOR='1')
    rc = 1
    try:
        print('Booting %d Debian 12 hosts (systemd-nspawn) in %d racks with a %s index each (%s) ...'
              % (args.hosts, args.racks, args.size, fleet_dir))
        started = time.time()
        up = fleet('up', fleet_dir, '--hosts', str(args.hosts), '--base-port', str(args.base_port),
                   '--namespace', 'test', '--size', str(size_bytes(args.size)), '--racks', str(args.racks))
        if up.returncode:
            return up.returncode
        print('Fleet up in %.0f s. Rolling reboot, a rack at a time where the cluster allows (log: %s) ...'
              % (time.time() - started, log_file))
        playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        started = time.time()
        with open(log_file, 'w') as log:
            result = run([playbook, '-i', os.path.join(fleet_dir, 'inventory.ini'), 'fastrestart.aerospike.rolling_reboot',
                          '-e', 'rolling_reboot_connect_timeout=5', '-e', 'rolling_reboot_gate_delay=1',
                          '-e', 'rolling_reboot_report_file=%s' % report_file],
                         stdout=log, stderr=subprocess.STDOUT, env=env)
        rc = result.returncode
        print('Roll %s in %.0f s.\n' % ('finished' if rc == 0 else 'FAILED (rc %d)' % rc, time.time() - started))
        if os.path.exists(report_file):
            with open(report_file) as handle:
                document = json.load(handle)
            print('\n'.join(line for line in document['plan'] if not line.startswith('Gate')) + '\n')
            print(table(document['reports'], cold_rate))
            print('\nEvery step in seconds as measured by the playbook (Ansible and SSH included). Cold start instead:')
            print('the index size at the simulator\'s rebuild rate (%d MiB/s), and for a real server the index\'s'
                  % (cold_rate // 1048576))
            print('%d-byte entries read back from devices at %d records/s. A node of 2 billion records (%d GiB of'
                  % (INDEX_ENTRY, REAL_RECORDS_PER_SECOND, 2e9 * INDEX_ENTRY / (1 << 30)))
            print('index) would take about %.0f minutes to cold-start, serving nothing meanwhile.'
                  % (2e9 / REAL_RECORDS_PER_SECOND / 60))
        print(journal_excerpt(fleet_dir, 'h1'))
        if rc:
            with open(log_file) as handle:
                print(''.join(handle.readlines()[-40:]))
        return rc
    finally:
        if args.keep:
            print('Fleet left running: %s down --dir %s --purge' % (FLEET, fleet_dir))
        else:
            fleet('down', fleet_dir, '--purge')


if __name__ == '__main__':
    sys.exit(main())
