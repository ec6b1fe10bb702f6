# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PID 1 of one simulated fleet host (see sim/README.md, "Simulated fleet").

sim/fleet.py starts this inside fresh IPC, PID, mount and UTS namespaces, through a symlink
named ``sysvinit`` so that /proc/1/comm reads ``sysvinit`` and Ansible's service_mgr fact
becomes ``sysvinit``. It reads the boot plan that fleet.py wrote (``<host dir>/host.json``),
then, like a small sysvinit:

- sets the hostname and mounts the host's private folders over the shared root filesystem;
- starts the host's sshd and keeps it running;
- runs the ``S??`` links of /etc/rcS.d and of the default runlevel's /etc/rc<N>.d with
  ``start``, in name order, as Debian's /etc/init.d/rc does;
- reaps orphans until SIGTERM.

SIGTERM is the power switch: this process exits at once, the kernel kills every process in the
PID namespace (asd included, without a clean shutdown) and frees the IPC namespace with its
shared memory. The supervisor outside then boots the host again, or stops if powered off.
This file needs only the standard library: it runs under the system interpreter.
"""

from __future__ import absolute_import, division, print_function

import argparse
import errno
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

__metaclass__ = type

# The environment that init gives boot scripts: no inheritance from whoever started the fleet.
BOOT_ENV = {
    'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'LANG': 'C',
    'TERM': 'dumb',
    'HOME': '/root',
}


def log(message):
    """One line on the console log, which the supervisor keeps per host."""
    sys.stdout.write('%s sysvinit: %s\n' % (time.strftime('%Y-%m-%d %H:%M:%S'), message))
    sys.stdout.flush()


def halt(signum, frame):  # pylint: disable=unused-argument
    """Power off this boot; os._exit because cleanup is the kernel's job, as on real hardware."""
    os._exit(0)  # pylint: disable=protected-access


def run(argv):
    """Run a mount-time command; a host that cannot set up its folders must not boot half-way."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise SystemExit('sysvinit: %s failed (rc %d): %s' % (' '.join(argv), proc.returncode, proc.stdout.decode('utf-8', 'replace').strip()))


def mount_all(mounts):
    """Bind each private folder or file over its place; read-only ones are remounted so."""
    for entry in mounts:
        source, target, read_only = entry['source'], entry['target'], entry.get('read_only', False)
        if entry.get('optional') and not os.path.lexists(target):
            continue
        run(['mount', '--bind', source, target])
        if read_only:
            run(['mount', '-o', 'remount,bind,ro', target])


def prepare_run(plan):
    """Make what daemons expect in a fresh /run; /run is per host and empty at every boot."""
    for path, mode in plan.get('run_dirs', []):
        os.makedirs(path, mode=mode, exist_ok=True)
        os.chmod(path, mode)
    with open('/run/runlevel', 'w') as handle:
        handle.write('N %s\n' % plan['runlevel'])


def start_sshd(plan):
    """sshd -D stays a child of PID 1, so every SSH session lives inside this host."""
    out = open(plan['sshd_log'], 'ab')
    try:
        proc = subprocess.Popen(plan['sshd'], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, close_fds=True, env=BOOT_ENV)
    finally:
        out.close()
    log('started sshd (pid %d)' % proc.pid)
    return proc.pid


def boot_scripts(runlevel):
    """The start links of rcS.d, then of rc<runlevel>.d, each in name order."""
    scripts = []
    for folder in ('/etc/rcS.d', '/etc/rc%s.d' % runlevel):
        for link in sorted(glob.glob(os.path.join(folder, 'S[0-9][0-9]*'))):
            if os.access(link, os.X_OK):
                scripts.append(link)
    return scripts


def spawn_rc(plan):
    """Start the enabled services in a child, so that PID 1 keeps reaping while they start."""
    pid = os.fork()
    if pid:
        return pid
    try:
        env = dict(BOOT_ENV, RUNLEVEL=str(plan['runlevel']), PREVLEVEL='N')
        with open(plan['boot_log'], 'ab') as out:
            for script in boot_scripts(plan['runlevel']):
                out.write(('%s rc: %s start\n' % (time.strftime('%Y-%m-%d %H:%M:%S'), script)).encode())
                out.flush()
                proc = subprocess.run([script, 'start'], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
                out.write(('%s rc: %s start: exit %d\n' % (time.strftime('%Y-%m-%d %H:%M:%S'), script, proc.returncode)).encode())
                out.flush()
        with open(plan['boot_done'], 'w') as handle:
            handle.write('%f\n' % time.time())
    finally:
        os._exit(0)  # pylint: disable=protected-access


def reap_forever(sshd_pid, plan):
    """Collect every exited child; respawn sshd if it dies; sleep when there is nothing to wait for."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            # Without children waitpid returns at once, and a loop around it would spin a core.
            time.sleep(0.5)
            continue
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            raise
        if pid == sshd_pid:
            log('sshd (pid %d) exited with status %d; restarting it in 1 s' % (pid, status))
            time.sleep(1)
            sshd_pid = start_sshd(plan)


def main(argv=None):
    parser = argparse.ArgumentParser(description='PID 1 of a simulated fleet host.')
    parser.add_argument('--plan', required=True, help='the host.json that sim/fleet.py wrote for this host')
    args = parser.parse_args(argv)
    if os.getpid() != 1:
        raise SystemExit('sysvinit: must run as PID 1 of a new PID namespace (sim/fleet.py starts it)')
    signal.signal(signal.SIGTERM, halt)
    for name in ('SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE'):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    with open(args.plan) as handle:
        plan = json.load(handle)
    socket.sethostname(plan['hostname'])
    mount_all(plan['mounts'])
    os.chdir('/')
    prepare_run(plan)
    log('booting %s, boot id %s' % (plan['hostname'], open('/proc/sys/kernel/random/boot_id').read().strip()))
    sshd_pid = start_sshd(plan)
    spawn_rc(plan)
    reap_forever(sshd_pid, plan)


if __name__ == '__main__':
    main()
