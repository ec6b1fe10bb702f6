# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The boot-restore service (role boot_restore) on a real Debian host under systemd-nspawn.

One host on ports 2511-2519, asd with a 64 MiB index (FASTRESTART_BOOT_RESTORE_SIZE changes it),
the role installed once. Then, in order and with no Ansible during the reboots: a plain
`systemctl reboot` comes back warm; a `kill -9` of asd then a reboot comes back cold, with no
restore, and the journal says why; a roll holds the service; the chain survives the roll. The
journal excerpts and the service's own seconds are printed at the end.
"""

from __future__ import absolute_import, division, print_function

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, '.venv', 'bin')
# By path and under another name, as test_fleet.py does: this test package is called "fleet".
_SPEC = importlib.util.spec_from_file_location('fleet_sim_boot_restore', os.path.join(ROOT, 'sim', 'fleet.py'))
fleet = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fleet)
# Ports of this test's host; another free range when a parallel run holds them.
BASE_PORT = 2511

UNIT = 'aerospike-boot-restore'
SIZE = os.environ.get('FASTRESTART_BOOT_RESTORE_SIZE', '64M')
STATE = '/var/lib/fastrestart-aerospike/boot-restore.json'
FIGURES = {}
EXCERPTS = []


def _env():
    env = dict(os.environ)
    # FASTRESTART_COLLECTIONS_PATH: test another copy of the collection (an export of a commit).
    collections = os.environ.get('FASTRESTART_COLLECTIONS_PATH') or os.path.join(ROOT, '.venv', 'collections')
    env.update({'ANSIBLE_COLLECTIONS_PATH': collections, 'ANSIBLE_NOCOLOR': '1',
                'ANSIBLE_HOST_KEY_CHECKING': 'False', 'ANSIBLE_PIPELINING': 'True',
                'ANSIBLE_LOCAL_TEMP': tempfile.gettempdir()})
    return env


def _ansible(fleet_dir, *args):
    proc = subprocess.run([os.path.join(VENV, args[0]), '-i', fleet.inventory(fleet_dir)] + list(args[1:]),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=_env(),
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-8000:]
    return proc.stdout


@pytest.fixture(scope='module')
def host():
    """One running host with asd and the service installed; always powered off and removed."""
    if os.geteuid() != 0 or not os.path.exists('/proc/sys/kernel/shmmni'):
        pytest.skip('the fleet needs root')
    path = tempfile.mkdtemp(prefix='fleet-boot-restore-', dir='/var/tmp')
    try:
        fleet.rootfs()
        fleet.up(path, hosts=1, base_port=_free_port(), namespace='test', size=SIZE, stages=1, timeout=90)
        check = _ansible(path, 'ansible', 'h1', '--check', '-m', 'ansible.builtin.include_role',
                         '-a', 'name=fastrestart.aerospike.boot_restore')
        assert 'Check mode: would install %s.service' % UNIT in check, check[-4000:]
        assert fleet.ssh(path, 'h1', 'ls /etc/systemd/system/%s.service' % UNIT).returncode != 0, 'check mode installed'
        started = time.time()
        _ansible(path, 'ansible', 'h1', '-m', 'ansible.builtin.include_role', '-a', 'name=fastrestart.aerospike.boot_restore')
        FIGURES['install_s'] = round(time.time() - started, 1)
        yield path
    finally:
        fleet.down(path, purge=True)
        figures = json.dumps(FIGURES, sort_keys=True)
        sys.stdout.write('\nboot_restore figures (%s index): %s\n%s\n' % (SIZE, figures, '\n'.join(EXCERPTS)))


def _free_port():
    for port in list(range(BASE_PORT, BASE_PORT + 9)) + list(range(25110, 25200)):
        if fleet._port_free(port):  # pylint: disable=protected-access
            return port
    raise RuntimeError('no free port for the host in 2511-2519 or 25110-25199')


def _wait(predicate, timeout, interval, what):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError('timed out after %s s waiting for %s' % (timeout, what))
        time.sleep(interval)


def sh(fleet_dir, command, timeout=120):
    return fleet.ssh(fleet_dir, 'h1', command, timeout=timeout)


def boot_id(fleet_dir):
    return sh(fleet_dir, 'cat /proc/sys/kernel/random/boot_id').stdout.strip()


def reboot(fleet_dir, before_command=''):
    """A plain `systemctl reboot` inside the host; returns when ssh answers in the new boot."""
    before = boot_id(fleet_dir)
    sh(fleet_dir, before_command + 'systemctl reboot')  # ssh may lose the connection
    fleet.wait_ssh(fleet_dir, ['h1'], timeout=120, boot_ids={'h1': before})
    _wait(lambda: sh(fleet_dir, 'asinfo -v status').stdout.strip() == 'ok', 120, 0.3, 'asd to answer')
    return before


def journal(fleet_dir, boot):
    return sh(fleet_dir, 'journalctl -b %s -u aerospike -u %s -o short-precise --no-pager' % (boot, UNIT)).stdout


def state(fleet_dir):
    return json.loads(sh(fleet_dir, 'cat %s' % STATE).stdout)


def excerpt(title, text, needles):
    lines = [line for line in text.splitlines() if any(n in line for n in needles)]
    EXCERPTS.append('--- %s\n%s' % (title, '\n'.join(lines)))
    return lines


def seconds_between(lines, first, last):
    """Seconds between the journal line (short-precise) holding first and the next one holding last."""
    begin = _index(lines, first)
    end = _index(lines, last, begin)

    def clock(line):
        hours, minutes, secs = line.split()[2].split(':')
        return int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return round(clock(lines[end]) - clock(lines[begin]), 3)


def tail_from(text, needle):
    """The lines of text from the last one holding needle on."""
    lines = text.splitlines()
    first = max([i for i, line in enumerate(lines) if needle in line] or [0])
    return '\n'.join(lines[first:]) + '\n'


def _index(lines, needle, after=-1):
    return next(i for i, line in enumerate(lines) if needle in line and i > after)


NEEDLES = ('boot-restore[', 'Stopping aerospike', 'Stopped aerospike', 'Starting aerospike', 'Started aerospike',
           'Finished aerospike', 'warm restart', 'cold start', 'clean shutdown', "result 'signal'")


def test_plain_reboot_comes_back_warm(host):
    _wait(lambda: sh(host, 'asinfo -v status').stdout.strip() == 'ok', 60, 0.3, 'asd to answer')
    reboot(host)
    lines = excerpt('plain systemctl reboot: shutdown (boot -1), then boot (0)', journal(host, -1) + journal(host, 0),
                    NEEDLES)
    backed = _index(lines, 'backed up')
    clean = max(i for i, line in enumerate(lines[:backed]) if 'finished clean shutdown' in line)
    restored = _index(lines, 'restored', backed)
    started = _index(lines, 'Starting aerospike.service', restored)
    assert clean < backed < restored < started, '\n'.join(lines)
    assert 'beginning warm restart' in lines[-1] or any('warm restart' in line for line in lines[started:])
    record = state(host)
    assert record['shutdown']['result'] == 'backed-up' and record['restore']['result'] == 'restored'
    # What the service adds to the reboot: its unit's stop after asd's, and its start before asd's.
    FIGURES['shutdown_added_s'] = seconds_between(lines[clean:], 'Stopping %s.service' % UNIT, 'Stopped %s.service' % UNIT)
    FIGURES['boot_added_s'] = seconds_between(lines[backed:], 'Starting %s.service' % UNIT, 'Finished %s.service' % UNIT)
    FIGURES['backup_s'] = record['shutdown']['seconds']
    FIGURES['restore_s'] = record['restore']['seconds']
    FIGURES['backup_bytes'] = record['shutdown']['bytes']


def test_kill_9_then_reboot_comes_back_cold_with_no_restore(host):
    reboot(host, 'kill -9 "$(systemctl show -p MainPID --value aerospike)"; sleep 1; ')
    lines = excerpt('kill -9 of asd, then systemctl reboot', tail_from(journal(host, -1), 'Main process exited')
                    + journal(host, 0), NEEDLES + ('Main process exited',))
    text = '\n'.join(lines)
    assert "no backup: asd's stop was not clean: systemd ended the unit aerospike with Result=signal" in text
    assert "no restore: the previous boot's shutdown took no backup" in text
    assert 'beginning cold start' in journal(host, 0) and 'restored' not in journal(host, 0)
    record = state(host)
    assert record['shutdown']['result'] == 'skipped' and record['restore']['result'] == 'none'


def test_stale_backup_is_not_restored_after_a_boot_without_the_service(host):
    # Boot N: clean reboot backs up. Boot N+1 runs asd without the service (disabled, asd's stop
    # unrecorded). Boot N+2 must not restore boot N's backup, which is still on disk.
    reboot(host)  # the cold asd of the previous test stops cleanly: backed up, restored, warm
    assert state(host)['restore']['result'] == 'restored'
    assert sh(host, 'systemctl disable --quiet %s' % UNIT).returncode == 0
    reboot(host)  # shutdown backs up (the unit is still active); the next boot has no service
    assert sh(host, 'systemctl is-active %s' % UNIT).stdout.strip() == 'inactive'
    assert 'beginning cold start' in journal(host, 0)
    assert sh(host, 'systemctl enable --quiet %s' % UNIT).returncode == 0
    reboot(host)
    lines = excerpt('boot without the service, then a boot with it: the stale backup stays', journal(host, 0), NEEDLES)
    assert any('did not run in it' in line for line in lines), '\n'.join(lines)
    assert 'beginning cold start' in '\n'.join(lines)


def test_roll_holds_the_service_and_the_chain_survives(host):
    reboot(host)  # back to a backup-and-restore boot, asd warm
    started = time.time()
    out = _ansible(host, 'ansible-playbook', os.path.join(ROOT, 'playbooks', 'rolling_reboot.yml'),
                   '-e', 'rolling_reboot_quiesce=false')
    FIGURES['roll_s'] = round(time.time() - started, 1)
    assert 'rebooted' in out
    lines = excerpt('rolling_reboot with the service installed', tail_from(journal(host, -1), 'Stopping aerospike.service')
                    + journal(host, 0), NEEDLES)
    text = '\n'.join(lines)
    assert 'no backup: rolling_reboot holds the service' in text
    assert 'no restore: rolling_reboot holds the service' in text
    assert 'beginning warm restart' in journal(host, 0)  # the roll's own restore
    assert sh(host, 'test -e /var/lib/fastrestart-aerospike/boot-restore.hold').returncode == 1
    info = json.loads(_ansible(host, 'ansible', 'h1', '-m', 'fastrestart.aerospike.shm_info', '-o')
                      .split('=>', 1)[1])
    assert info['boot_restore']['last_restore']['result'] == 'none' and not info['boot_restore']['held']
    # The service recorded the roll's boot: the next plain reboot is warm through it again.
    reboot(host)
    assert state(host)['restore']['result'] == 'restored'
    assert 'beginning warm restart' in journal(host, 0)
