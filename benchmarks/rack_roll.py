# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rack roll against node-by-node roll: one fleet, both rolls, in the same run.

Boots a fleet of real Debian hosts in racks (sim/fleet.py), rolls it node by node
(rolling_reboot_by_rack=false, writing its report), plans the rack roll in --check (whose
forecast reads that report), rolls it by rack, and prints both times, their ratio (the target:
at most 0.6) and the forecast against the measured rack roll. Timing is wall clock, as an
operator sees it; run it on a quiet machine (--wait waits for the load to drop).

    .venv/bin/python benchmarks/rack_roll.py [--racks 3] [--per-rack 2] [--size 8M] [--base-port 2581]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLEET = os.path.join(TOP, 'sim', 'fleet.py')
TARGET = 0.6


def _env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(TOP, '.venv', 'collections'),
                ANSIBLE_PIPELINING='true', ANSIBLE_HOST_KEY_CHECKING='false', ANSIBLE_NOCOLOR='1')


def roll(fleet_dir, log_name, *extra):
    """(seconds, output) of one ansible-playbook run of the rolling reboot against the fleet."""
    playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    argv = [playbook, '-i', os.path.join(fleet_dir, 'inventory.ini'), 'fastrestart.aerospike.rolling_reboot',
            '-e', 'rolling_reboot_connect_timeout=5', '-e', 'rolling_reboot_gate_delay=1'] + list(extra)
    started = time.time()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), check=False)
    seconds = time.time() - started
    output = proc.stdout.decode('utf-8', 'replace')
    with open(os.path.join(fleet_dir, log_name + '.log'), 'w') as handle:
        handle.write(output)
    if proc.returncode:
        raise SystemExit('%s failed (rc %d); log %s/%s.log:\n%s'
                         % (log_name, proc.returncode, fleet_dir, log_name, output[-3000:]))
    return seconds, output


def wait_for_quiet(limit, seconds):
    deadline = time.time() + seconds
    while os.getloadavg()[0] >= limit and time.time() < deadline:
        print('load average %.2f, waiting for it to drop below %.2f ...' % (os.getloadavg()[0], limit))
        time.sleep(15)


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--racks', type=int, default=3)
    parser.add_argument('--per-rack', type=int, default=2, help='hosts per rack (default %(default)s)')
    parser.add_argument('--size', default='8M', help='primary index per namespace and host (default %(default)s)')
    parser.add_argument('--base-port', type=int, default=2581)
    parser.add_argument('--quiet-load', type=float, default=1.5)
    parser.add_argument('--wait', type=int, default=300, help='seconds to wait for a quiet machine (default %(default)s)')
    parser.add_argument('--keep', action='store_true', help='leave the fleet running')
    return parser


def measure(fleet_dir):
    """{'serial', 'rack', 'forecast'} seconds, and the rack plan's lines."""
    serial_report = os.path.join(fleet_dir, 'report-serial.json')
    serial = roll(fleet_dir, 'serial', '-e', 'rolling_reboot_by_rack=false', '-e', 'rolling_reboot_cycle=serial',
                  '-e', 'rolling_reboot_report_file=' + serial_report)[0]
    check = roll(fleet_dir, 'check', '--check', '-e', 'rolling_reboot_report_file=' + serial_report)[1]
    forecast = re.search(r'in all \((\d+) s\)', check)
    rack = roll(fleet_dir, 'rack', '-e', 'rolling_reboot_cycle=rack',
                '-e', 'rolling_reboot_report_file=' + os.path.join(fleet_dir, 'report-rack.json'))[0]
    with open(os.path.join(fleet_dir, 'report-rack.json')) as handle:
        plan = json.load(handle)['plan']
    return dict(serial=serial, rack=rack, forecast=int(forecast.group(1)) if forecast else None), plan


def main(argv=None):
    args = _parser().parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit('run as root: the hosts are systemd-nspawn containers')
    wait_for_quiet(args.quiet_load, args.wait)
    fleet_dir = tempfile.mkdtemp(prefix='fastrestart-rack-bench-', dir='/var/tmp')
    hosts = args.racks * args.per_rack
    up = [sys.executable, FLEET, 'up', '--dir', fleet_dir, '--hosts', str(hosts), '--base-port', str(args.base_port),
          '--namespace', 'test', '--namespace', 'bar', '--size', args.size, '--migration-seconds', '2',
          '--racks', str(args.racks)]
    load_before = os.getloadavg()[0]
    try:
        subprocess.run(up, check=True, stdout=subprocess.DEVNULL)
        times, plan = measure(fleet_dir)
    finally:
        if not args.keep:
            subprocess.run([sys.executable, FLEET, 'down', '--dir', fleet_dir, '--purge'], check=False,
                           stdout=subprocess.DEVNULL)
    ratio = times['rack'] / times['serial']
    print('\n'.join(line for line in plan if not line.startswith('Gate')))
    print('%d hosts in %d racks, load average %.2f before, %.2f after' % (hosts, args.racks, load_before,
                                                                          os.getloadavg()[0]))
    print('node by node  %7.1f s' % times['serial'])
    print('by rack       %7.1f s   ratio %.3f (target at most %.1f: %s)'
          % (times['rack'], ratio, TARGET, 'met' if ratio <= TARGET else 'MISSED'))
    if times['forecast']:
        print('forecast      %7d s   (from the node-by-node report) = %.2f of the measured rack roll'
              % (times['forecast'], times['forecast'] / times['rack']))
    return 0 if ratio <= TARGET else 1


if __name__ == '__main__':
    sys.exit(main())
