# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record the simulated cluster's members while a scenario runs.

    python cluster_sampler.py start FLEET_DIR   # detaches; writes FLEET_DIR/cluster-sizes.jsonl
    python cluster_sampler.py stop FLEET_DIR    # SIGTERM to the recorded pid

Membership is read the way sim/asinfo.py reads it (a node is in when its asd said ready and
still holds its lock), from outside the hosts, so sampling never adds SSH traffic to the roll.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import signal
import sys
import time

__metaclass__ = type

SIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'sim')
INTERVAL = 0.2


def members(cluster_dir):
    sys.path.insert(0, os.path.abspath(SIM))
    import asinfo  # pylint: disable=import-error,import-outside-toplevel
    return sorted(asinfo.Cluster(cluster_dir).members)


def run(fleet_dir):
    cluster_dir = os.path.join(fleet_dir, 'cluster')
    out = os.path.join(fleet_dir, 'cluster-sizes.jsonl')
    last = None
    with open(out, 'a') as handle:
        while True:
            try:
                now = members(cluster_dir)
            except Exception as exc:  # pylint: disable=broad-except
                # A half-written node file is read again at the next tick.
                now = last
                handle.write(json.dumps({'t': time.time(), 'error': str(exc)}) + '\n')
            if now != last:
                handle.write(json.dumps({'t': time.time(), 'members': now}) + '\n')
                handle.flush()
                last = now
            time.sleep(INTERVAL)


def start(fleet_dir):
    pid_file = os.path.join(fleet_dir, 'cluster-sampler.pid')
    if os.fork():
        # Parent: wait until the daemon recorded its pid, so `stop` always finds it.
        for dummy_attempt in range(100):
            if os.path.exists(pid_file):
                return 0
            time.sleep(0.05)
        return 1
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with open(pid_file + '.tmp', 'w') as handle:
        handle.write(str(os.getpid()))
    os.rename(pid_file + '.tmp', pid_file)
    run(fleet_dir)
    return 0


def stop(fleet_dir):
    pid_file = os.path.join(fleet_dir, 'cluster-sampler.pid')
    try:
        with open(pid_file) as handle:
            pid = int(handle.read())
    except (IOError, OSError, ValueError):
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    os.unlink(pid_file)
    return 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ('start', 'stop'):
        sys.stderr.write(__doc__)
        return 2
    return {'start': start, 'stop': stop}[argv[1]](argv[2])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
