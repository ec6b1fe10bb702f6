# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Single-host demo: back up a simulated asd's index, lose it in a reboot, restore, warm start.

In a private IPC namespace: the asd simulator makes a namespace (create, start, stop
cleanly); pyasmt backs it up compressed; a simulated reboot removes every segment of the
instance; pyasmt restores them; the simulator starts warm and confirms the index is intact.
Finally a cold start (segments gone, as after a reboot without restore) is timed next to
the warm one. Prints a table; exits non-zero on any failure.

    scripts/run-demo-single [--size 1G] [--keep-dir]
    unshare --ipc -- .venv/bin/python scripts/demo_single.py [--size 1G] [--keep-dir]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, 'sim', 'asd_sim.py')
PYASMT = os.path.join(ROOT, 'bin', 'pyasmt')
sys.path.insert(0, os.path.join(ROOT, 'bin'))

import private_ipc  # noqa: E402  pylint: disable=wrong-import-position

AEROSPIKE_TYPES = (0xAE, 0xA2, 0xAD)
STEP_TIMEOUT = 300


class DemoError(Exception):
    """A step failed; the message says which and why."""


def parse_size(text):
    match = re.match(r'^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?[bB])?\s*$', text)
    if not match:
        raise argparse.ArgumentTypeError('%r is not a size: use bytes or a K/M/G suffix, e.g. 1G or 512M' % text)
    factor = {'': 1, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}[match.group(2).lower()]
    size = int(float(match.group(1)) * factor)
    if size < (1 << 20):
        raise argparse.ArgumentTypeError('size %r is too small: give at least 1M' % text)
    return size


def segments(instance):
    """{key: (shmid, size, nattch)} of this instance's Aerospike segments, from /proc/sysvipc/shm."""
    out = {}
    with open('/proc/sysvipc/shm') as handle:
        for line in handle.read().splitlines()[1:]:
            fields = line.split()
            key = int(fields[0]) & 0xFFFFFFFF
            if key >> 24 in AEROSPIKE_TYPES and (key >> 20) & 0xF == instance:
                out[key] = (int(fields[1]), int(fields[3]), int(fields[6]))
    return out


def remove_all(instance):
    """What a reboot does to shared memory (ipcrm -m for every segment of the instance)."""
    import sysv_ipc  # pylint: disable=import-outside-toplevel
    for entry in segments(instance).values():
        try:
            sysv_ipc.remove_shared_memory(entry[0])
        except sysv_ipc.ExistentialError:
            pass


class Demo:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.state = os.path.join(work, 'asd-state')
        self.backup = os.path.join(work, 'backup')
        self.rows = []
        self.daemon_may_run = False

    def say(self, text):
        print('demo: %s' % text, file=sys.stderr, flush=True)

    def run(self, what, command, expect_json=False, ok_codes=(0,)):
        started = time.monotonic()
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                  timeout=STEP_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise DemoError('%s did not finish within %d s: %s' % (what, STEP_TIMEOUT, ' '.join(command)))
        seconds = time.monotonic() - started
        document = None
        if expect_json:
            try:
                document = json.loads(done.stdout)
            except ValueError:
                document = None
        if done.returncode not in ok_codes:
            detail = (document or {}).get('result', {}).get('message') if document else None
            raise DemoError('%s failed (exit %d): %s\n%s' % (what, done.returncode, ' '.join(command),
                                                             detail or (done.stderr + done.stdout).strip()))
        if expect_json and document is None:
            raise DemoError('%s printed no JSON document: %s\n%s' % (what, ' '.join(command), done.stdout[:500]))
        return seconds, document if expect_json else done.stdout.strip()

    def sim(self, command, *extra, **kwargs):
        return self.run('asd simulator %s' % command,
                        [sys.executable, SIM, command, '--state-dir', self.state, '--instance', str(self.args.instance)]
                        + list(extra), **kwargs)

    def pyasmt(self, what, *options):
        command = [PYASMT] + list(options) + ['-p', self.backup, '-n', self.args.namespace,
                                              '-i', str(self.args.instance), '--json']
        return self.run(what, command, expect_json=True)

    def row(self, step, nbytes, seconds, note=''):
        self.rows.append((step, nbytes, seconds, note))
        rate = '%.2f GB/s' % (nbytes / seconds / 1e9) if nbytes and seconds > 0 else ''
        self.say('%-28s %7.2f s %11s  %s' % (step, seconds, rate, note))

    def status(self):
        # LSB status: 0 running, 3 stopped; both are answers.
        document = self.sim('status', '--json', ok_codes=(0, 3))[1]
        return json.loads(document)

    def start(self, kind):
        """Start asd; check it came up as `kind` (warm or cold); return the start's own duration."""
        self.daemon_may_run = True
        seconds = self.sim('start')[0]
        status = self.status()
        start = status.get('last_start') or {}
        if not status.get('running'):
            raise DemoError('asd is not running after start: %s' % json.dumps(status))
        if start.get('kind') != kind:
            raise DemoError('asd made a %s start, expected %s (reason: %s)' % (start.get('kind'), kind,
                                                                               start.get('reason') or 'none given'))
        return seconds, start.get('duration') or seconds, start.get('reason') or ''

    def stop(self):
        seconds = self.sim('stop')[0]
        self.daemon_may_run = False
        status = self.status()
        if status.get('running') or (status.get('last_stop') or {}).get('kind') != 'clean':
            raise DemoError('asd did not stop cleanly: %s' % json.dumps(status))
        return seconds

    def verify(self, when):
        seconds, out = self.sim('verify', '--json')
        document = json.loads(out)
        if not document.get('ok'):
            raise DemoError('the index is not intact %s: %s' % (when, json.dumps(document.get('problems'))))
        return seconds, document

    def main(self):
        args = self.args
        instance = args.instance
        size_text = str(args.size)
        seconds = self.sim('create', '--namespace', args.namespace, '--size', size_text)[0]
        present = segments(instance)
        total = sum(entry[1] for entry in present.values())
        self.row('create namespace', total, seconds, '%d segments' % len(present))

        seconds, duration = self.start('warm')[:2]
        self.row('asd start (fresh index)', 0, seconds, 'warm, startup %.2f s' % duration)
        self.row('asd stop (clean)', 0, self.stop(), 'index fingerprint recorded')

        seconds, document = self.pyasmt('pyasmt backup -b -z', '-b', '-z')
        result = document['result']
        files = folder_bytes(self.backup)
        self.row('pyasmt backup -z', result['bytes'], seconds,
                 'core %.2f s = %.2f GB/s; files %.0f MiB (%.0f%%)' % (
                     result['seconds'], rate(result['bytes'], result['seconds']), files / 1048576.0,
                     100.0 * files / result['bytes']))
        if result['bytes'] != total:
            raise DemoError('the backup covered %d bytes, the namespace has %d' % (result['bytes'], total))

        started = time.monotonic()
        remove_all(instance)
        left = segments(instance)
        if left:
            raise DemoError('the simulated reboot left %d segments' % len(left))
        self.row('reboot (shared memory lost)', 0, time.monotonic() - started, '%d segments removed' % len(present))

        seconds, document = self.pyasmt('pyasmt restore -r', '-r')
        result = document['result']
        self.row('pyasmt restore', result['bytes'], seconds,
                 'core %.2f s = %.2f GB/s' % (result['seconds'], rate(result['bytes'], result['seconds'])))
        seconds, checked = self.verify('after the restore')
        self.row('verify (asd stopped)', checked.get('bytes', total), seconds, 'index intact')

        seconds, warm = self.start('warm')[:2]
        self.row('asd start after restore', total, seconds, 'WARM, startup %.2f s' % warm)
        seconds = self.verify('after the warm start')[0]
        self.row('verify (asd running)', 0, seconds, 'index intact')
        self.row('asd stop (clean)', 0, self.stop(), '')

        # For comparison: the same reboot without a restore.
        remove_all(instance)
        seconds, cold, reason = self.start('cold')
        self.row('asd start, no restore', total, seconds, 'COLD, startup %.2f s' % cold)
        self.row('asd stop (clean)', 0, self.stop(), '')
        self.sim('destroy')
        return total, warm, cold, reason


def rate(nbytes, seconds):
    return nbytes / seconds / 1e9 if seconds > 0 else float('inf')


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(path, name)) for name in os.listdir(path)
               if name.endswith(('.dat', '.dat.gz')))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='demo_single.py', description='Single-host demo of a warm restart across a simulated reboot: asd '
        'simulator, pyasmt backup -z, reboot, pyasmt restore, warm start; a cold start for comparison.')
    parser.add_argument('--size', type=parse_size, default=parse_size('1G'),
                        help='primary index size, bytes or with a K/M/G suffix (default 1G)')
    parser.add_argument('--namespace', default='test', help='namespace name (default test)')
    parser.add_argument('--instance', type=int, default=0, choices=range(16), metavar='0..15',
                        help='asd instance (default 0)')
    parser.add_argument('--dir', default='/var/tmp', help='folder for the work folder (default /var/tmp, on disk)')
    parser.add_argument('--keep-dir', action='store_true', help='keep the work folder (backup, simulator log)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    private_ipc.ensure([os.path.abspath(__file__)] + sys.argv[1:], 'demo')
    for path in (SIM, PYASMT):
        if not os.path.exists(path):
            raise SystemExit('demo: %s is missing; run the demo from a complete checkout' % path)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix='fastrestart-demo-', dir=args.dir)
    demo = Demo(args, work)
    status = 0
    try:
        total, warm, cold, reason = demo.main()
    except DemoError as exc:
        print('demo: FAILED: %s' % exc, file=sys.stderr)
        status = 1
    finally:
        if demo.daemon_may_run:
            try:
                demo.sim('stop')
            except DemoError as exc:
                print('demo: could not stop the simulator: %s' % exc, file=sys.stderr)
                status = 1
        remove_all(args.instance)
        if args.keep_dir:
            print('demo: kept %s' % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    if status:
        return status
    lines = ['', 'Warm restart across a reboot, one host: namespace %s, instance %d, %.2f GiB of index'
             % (args.namespace, args.instance, total / float(1 << 30)), '',
             '%-30s %12s %9s %10s  %s' % ('step', 'bytes', 'seconds', 'GB/s', 'note'), '-' * 96]
    for step, nbytes, seconds, note in demo.rows:
        rate = '%.2f' % (nbytes / seconds / 1e9) if nbytes and seconds > 0 else ''
        lines.append('%-30s %12s %9.2f %10s  %s' % (step, nbytes or '', seconds, rate, note))
    lines += ['-' * 96,
              'asd startup: warm %.2f s after the restore, cold %.2f s without it (%.1fx); cold because: %s'
              % (warm, cold, cold / warm if warm > 0 else float('inf'), reason or 'segments missing'),
              'seconds are wall-clock per command, Python start-up included; "core" is the time pyasmt reports.',
              'demo total %.1f s' % elapsed]
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
