#!/bin/sh
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Executable, so that the `sim/fleet.py down ...` a demo prints works when pasted: sh runs the exec
# line below, Python reads it as the start of the docstring (ansible-test's shebang rule allows
# #!/bin/sh but not #!/usr/bin/env python3 here).
""":"
exec python3 "$0" "$@"
":"

A fleet of real Debian 12 hosts on one machine, for the roles to run against (sim/README.md,
"Simulated fleet").

Every host is a copy of one cached debootstrapped root file system, booted by
``systemd-nspawn --boot``: real systemd, journald and sshd, its own IPC namespace (so its own
System V shared memory), reached over real SSH on 127.0.0.1:<port>. Aerospike's packaged unit
runs the simulated asd (sim/asd_sim.py as /usr/bin/asd). A supervisor process per host boots it
again when nspawn exits with 133 (the host rebooted), so a reboot is real: ``systemctl reboot``,
``shutdown -r`` and ``ansible.builtin.reboot`` with its defaults all work.

    python sim/fleet.py rootfs
    python sim/fleet.py up --dir DIR --hosts 2 [--namespace test --size 8M --stages 2] [--racks 2 ...]
    python sim/fleet.py status --dir DIR [--json]
    python sim/fleet.py inventory --dir DIR
    python sim/fleet.py watch-start --dir DIR [--interval 0.2]; python sim/fleet.py watch-stop --dir DIR
    python sim/fleet.py down --dir DIR [--purge]

The same operations are importable: rootfs(), up(), down(), status(), ssh(), wait_ssh(), watch_start(),
watch_stop().
Standard library only. Every process this starts is recorded by pid; nothing is stopped by name.
"""

from __future__ import absolute_import, division, print_function

import argparse
import fcntl
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

__metaclass__ = type

SIM = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = '/var/tmp/fastrestart-fleet'
DEFAULT_BASE_PORT = 2221

SUITE = 'bookworm'
PACKAGES = ('systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'python3', 'iproute2', 'procps', 'util-linux')
# Part of the cache's name, beside the package list: bump it when _prepare_rootfs changes, so
# that every machine builds the new cache instead of booting hosts from an old one.
PREPARE_REVISION = 1
CACHE_DIR = '/var/cache/fastrestart-aerospike'
NSPAWN = '/usr/bin/systemd-nspawn'
DEBOOTSTRAP = '/usr/sbin/debootstrap'
NSENTER = '/usr/bin/nsenter'
APT_SOURCES = ('/etc/apt/sources.list.d', '/etc/apt/sources.list')

# What makes a host an Aerospike node (the contract with sim/host/ and the simulators).
HOST_TREE = os.path.join(SIM, 'host')
ASD_SOURCE = os.path.join(SIM, 'asd_sim.py')
ASINFO_SOURCE = os.path.join(SIM, 'asinfo.py')
HOST_PYTHON = '/usr/bin/python3'
CLUSTER_MOUNT = '/var/lib/asd-sim-cluster'
SYSCONFIG = 'etc/sysconfig/aerospike'
UNIT = 'aerospike.service'

# The aerospike.conf stanza of each namespace; the simulated asd reads the first three settings.
NAMESPACE_STANZA = """\
namespace {name} {{
{settings}\tdefault-ttl 0
\tindex-type shmem

\tstorage-engine memory {{
\t\tdata-size 4G
\t}}
}}
"""
WATCH_PID, WATCH_REPORT, WATCH_LOG = 'watch.pid', 'watch.json', 'watch.log'

REBOOT_STATUS = 133  # systemd-nspawn's exit status when the container asked for a reboot
# systemd treats SIGRTMIN+4 as "systemctl poweroff"; the only signal a host's PID 1 needs from us.
POWEROFF_SIGNAL = signal.SIGRTMIN + 4


class FleetError(Exception):
    """A fleet operation that cannot go on; the message says what to do."""


# ----------------------------------------------------------------------------------------------
# small helpers

def _write(path, text, mode=None):
    """Write through a temporary file and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.tmp-')
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    os.chmod(tmp, 0o644 if mode is None else mode)
    os.rename(tmp, path)


def _read(path, default=None):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return default


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _read_int(path):
    try:
        return int(_read(path))
    except (TypeError, ValueError):
        return None


def _read_json(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return {}


def _stat(pid):
    """(state, ppid) of a live process, or None; zombies count as gone."""
    if not pid:
        return None
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (IOError, OSError):
        return None
    return None if fields[0] in ('Z', 'X') else (fields[0], int(fields[1]))


def _alive(pid):
    return _stat(pid) is not None


def _comm(pid):
    return _read('/proc/%d/comm' % pid, '')


def _children(pid):
    found = []
    for task in glob.glob('/proc/%d/task/*/children' % pid):
        found += [int(child) for child in (_read(task, '') or '').split()]
    return found


def _wait_gone(pids, timeout):
    deadline = time.time() + timeout
    while any(_alive(pid) for pid in pids):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


def _port_open(port, host='127.0.0.1'):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        return sock.connect_ex((host, port)) == 0
    finally:
        sock.close()


def _port_free(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As sshd binds: connections of an earlier fleet in TIME_WAIT must not make the port look busy.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def size_bytes(text):
    """'64M' -> 67108864; plain numbers are bytes."""
    text = str(text).strip()
    scale = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}.get(text[-1:].upper(), 1)
    if scale > 1:
        text = text[:-1]
    try:
        return int(text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a size: give bytes, or a number with K, M or G' % text)


def host_names(count):
    return ['h%d' % index for index in range(1, count + 1)]


def host_dir(fleet_dir, name):
    return os.path.join(fleet_dir, 'hosts', name)


def _host_order(names):
    return sorted(names, key=lambda n: int(n[1:]))


def load(fleet_dir):
    """The fleet.json that up() wrote; FleetError when there is no fleet in fleet_dir."""
    path = os.path.join(fleet_dir, 'fleet.json')
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        raise FleetError('no fleet in %s (missing or unreadable %s); start one with: python %s up --dir %s'
                         % (fleet_dir, path, os.path.join(SIM, 'fleet.py'), fleet_dir))


# ----------------------------------------------------------------------------------------------
# the root file system: one debootstrapped Debian 12, cached per package list

def _deb822_stanzas(text):
    """The stanzas of a deb822 .sources file as dicts (lower-case keys, continuation lines joined)."""
    stanzas, current, key = [], {}, None
    for line in text.splitlines() + ['']:
        if line.startswith('#'):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, None
        elif line[0] in ' \t' and key:
            current[key] += ' ' + line.strip()
        elif ':' in line:
            key, value = line.split(':', 1)
            key = key.strip().lower()
            current[key] = value.strip()
    return stanzas


def _one_line_uris(text, suite):
    """URIs of `deb [options] URI SUITE COMPONENTS` lines for exactly `suite`."""
    uris = []
    for line in text.splitlines():
        words = line.split('#', 1)[0].split()
        if not words or words[0] != 'deb':
            continue
        words = words[1:]
        if words and words[0].startswith('['):
            # Options may hold blanks ("[ arch=amd64 ]"): skip to the word that closes them.
            while words and not words[0].endswith(']'):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2 and words[1] == suite:
            uris.append(words[0])
    return uris


def apt_mirror(sources=None, suite=SUITE):
    """The Debian mirror this machine's apt uses for `suite`: the first URI whose suite is exactly
    `suite` (not bookworm-security, not a third party's "cloud-sdk-bookworm"), from the deb822
    files in sources.list.d, then sources.list, then the one-line .list files. None if there is none.
    """
    folder, main_list = sources or APT_SOURCES
    for path in sorted(glob.glob(os.path.join(folder, '*.sources'))):
        for stanza in _deb822_stanzas(_read(path, '')):
            if stanza.get('enabled', 'yes').lower() == 'no' or 'deb' not in stanza.get('types', '').split():
                continue
            if suite in stanza.get('suites', '').split() and stanza.get('uris'):
                return stanza['uris'].split()[0]
    for path in [main_list] + sorted(glob.glob(os.path.join(folder, '*.list'))):
        uris = _one_line_uris(_read(path, ''), suite)
        if uris:
            return uris[0]
    return None


def rootfs_path(cache_dir=CACHE_DIR):
    """Where the cache for this package list lives; another list (or preparation) gets another."""
    recipe = 'variant=minbase suite=%s include=%s prepare=%d' % (SUITE, ','.join(PACKAGES), PREPARE_REVISION)
    return os.path.join(cache_dir, 'rootfs-%s-%s' % (SUITE, hashlib.sha256(recipe.encode()).hexdigest()[:10]))


def ensure_tools():
    """systemd-nspawn and debootstrap, installed from Debian when missing."""
    missing = [package for tool, package in ((NSPAWN, 'systemd-container'), (DEBOOTSTRAP, 'debootstrap'),
                                             (NSENTER, 'util-linux'))
               if not os.access(tool, os.X_OK)]
    if not missing:
        return
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    proc = subprocess.run(['apt-get', 'install', '-y', '--no-install-recommends'] + missing, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise FleetError('could not install %s (apt-get rc %d); run: apt-get update && apt-get install -y %s\n%s'
                         % (', '.join(missing), proc.returncode, ' '.join(missing), proc.stdout[-2000:]))


def _mask(root, unit):
    path = os.path.join(root, 'etc/systemd/system', unit)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink('/dev/null', path)


def _prepare_rootfs(root):
    """Make the fresh debootstrap a template that any number of hosts can be copied from."""
    # An empty machine-id makes no two copies share one; each host then gets its own (_build_host),
    # which must stay fixed across its reboots, or journalctl would not list its earlier boots.
    _write(os.path.join(root, 'etc/machine-id'), '')
    dbus_id = os.path.join(root, 'var/lib/dbus/machine-id')
    if os.path.isfile(dbus_id) and not os.path.islink(dbus_id):
        os.unlink(dbus_id)
    # Nobody logs in on the console (nspawn's stdin is /dev/null), so no getty there.
    for unit in ('console-getty.service', 'container-getty@.service', 'getty@.service'):
        _mask(root, unit)
    # The hosts share this machine's network: they must not go fetch package lists on their own.
    for unit in ('apt-daily.timer', 'apt-daily-upgrade.timer'):
        _mask(root, unit)
    # Host keys are made per host, so that two hosts are never the same machine to ssh.
    for key in glob.glob(os.path.join(root, 'etc/ssh/ssh_host_*')):
        os.unlink(key)
    for folder in ('etc/ssh/sshd_config.d', 'var/log/journal', 'root/.ssh'):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    os.chmod(os.path.join(root, 'root/.ssh'), 0o700)


def _debootstrap(target, mirror, log_path):
    argv = [DEBOOTSTRAP, '--variant=minbase', '--include=' + ','.join(PACKAGES), SUITE, target, mirror]
    with open(log_path, 'w') as log:
        log.write('$ %s\n' % ' '.join(argv))
        log.flush()
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise FleetError('debootstrap failed (rc %d); its output: %s\n%s'
                         % (proc.returncode, log_path, (_read(log_path, '') or '')[-2000:]))


def rootfs(cache_dir=CACHE_DIR):
    """The cached root file system's path, and the seconds it took to build (None when cached).

    Built into a temporary folder beside it and renamed when complete, under an flock, so that a
    half-built or concurrently built cache is never booted.
    """
    path = rootfs_path(cache_dir)
    if os.path.isdir(path):
        return path, None
    ensure_tools()
    os.makedirs(cache_dir, exist_ok=True)
    with open(os.path.join(cache_dir, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(path):  # another builder finished while this one waited
            return path, None
        # Holding the lock, any build folder is one that an interrupted builder left behind.
        for stale in glob.glob(os.path.join(cache_dir, '.build-*')):
            shutil.rmtree(stale, ignore_errors=True)
        mirror = apt_mirror()
        if not mirror:
            raise FleetError('no Debian %s mirror in this machine\'s apt sources (%s); add one, e.g. a '
                             'sources.list line "deb <mirror> %s main"' % (SUITE, ', '.join(APT_SOURCES), SUITE))
        started = time.time()
        tmp = tempfile.mkdtemp(dir=cache_dir, prefix='.build-%s-' % os.path.basename(path))
        try:
            _debootstrap(tmp, mirror, path + '.log')
            _prepare_rootfs(tmp)
            os.chmod(tmp, 0o755)
            os.rename(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path, round(time.time() - started, 1)


# ----------------------------------------------------------------------------------------------
# building the hosts

SSHD_CONFIG = """\
# Written by sim/fleet.py for fleet host {name}: its own port on loopback, key-only root login.
# sshd_config includes this first, and sshd keeps the first value it reads.
Port {port}
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxStartups 64:30:128
MaxSessions 64
"""

SYSCONFIG_LINES = """\
# Added by sim/fleet.py: this node's name and the cluster folder that every host binds.
ASD_SIM_NODE_ID={name}
ASD_SIM_CLUSTER_DIR={cluster}
"""


def _keygen(path, comment):
    if not os.path.exists(path):
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


def _copy_files(tree, root):
    """The files of tree into root, making missing folders 0755. copytree would also copy the
    checkout's folder modes onto the host's own /, /etc and /usr/bin (group-writable under umask
    002), which the backup's ancestor checks then rightly refuse."""
    for folder, dummy_dirs, files in os.walk(tree):
        target = os.path.join(root, os.path.relpath(folder, tree))
        if not os.path.isdir(target):
            os.makedirs(target, 0o755)
            os.chmod(target, 0o755)
        for name in files:
            shutil.copy2(os.path.join(folder, name), os.path.join(target, name), follow_symlinks=False)


def _install_aerospike(root, name):
    """The contract with sim/host/: the tree verbatim, the simulators as asd and asinfo."""
    if not os.path.isfile(os.path.join(HOST_TREE, 'lib/systemd/system', UNIT)):
        raise FleetError('%s lacks lib/systemd/system/%s: the host files of the simulated Aerospike package '
                         'are missing from this checkout' % (HOST_TREE, UNIT))
    _copy_files(HOST_TREE, root)
    for source, target in ((ASD_SOURCE, 'usr/bin/asd'), (ASINFO_SOURCE, 'usr/bin/asinfo')):
        shutil.copyfile(source, os.path.join(root, target))
        os.chmod(os.path.join(root, target), 0o755)
    with open(os.path.join(root, SYSCONFIG), 'a') as handle:
        handle.write(SYSCONFIG_LINES.format(name=name, cluster=CLUSTER_MOUNT))


def _copy_roots(fleet_dir, names, cache):
    """DIR/hosts/<name>/root: a fresh copy of the cache per host, all at once.

    A copy is mostly system time spent on ten thousand small files; run side by side, three take
    about as long as one.
    """
    procs = []
    for name in names:
        hdir = host_dir(fleet_dir, name)
        if os.path.isdir(hdir):
            shutil.rmtree(hdir)
        os.makedirs(hdir)
        procs.append(subprocess.Popen(['cp', '-a', '--reflink=auto', cache, os.path.join(hdir, 'root')],
                                      stdin=subprocess.DEVNULL))
    failed = [proc.args[-1] for proc in procs if proc.wait() != 0]
    if failed:
        raise FleetError('could not copy %s to %s (disk full?)' % (cache, ', '.join(failed)))


def _build_host(fleet_dir, name, port):
    """Make the copy in DIR/hosts/<name>/root into host <name>."""
    hdir = host_dir(fleet_dir, name)
    root = os.path.join(hdir, 'root')
    # Fixed for the host's life, different from every other host's (journal, D-Bus).
    _write(os.path.join(root, 'etc/machine-id'), uuid.uuid4().hex + '\n', mode=0o444)
    _write(os.path.join(root, 'etc/hostname'), name + '\n')
    _write(os.path.join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost\n' % name)
    _keygen(os.path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 'root@' + name)
    _write(os.path.join(root, 'etc/ssh/sshd_config.d/fleet.conf'), SSHD_CONFIG.format(name=name, port=port))
    shutil.copyfile(os.path.join(fleet_dir, 'id_ed25519.pub'), os.path.join(root, 'root/.ssh/authorized_keys'))
    os.chmod(os.path.join(root, 'root/.ssh/authorized_keys'), 0o600)
    _install_aerospike(root, name)
    return hdir


def _enable_aerospike(root):
    """What `systemctl enable aerospike` does for a unit WantedBy=multi-user.target."""
    wants = os.path.join(root, 'etc/systemd/system/multi-user.target.wants')
    os.makedirs(wants, exist_ok=True)
    link = os.path.join(wants, UNIT)
    if not os.path.lexists(link):
        os.symlink('/lib/systemd/system/' + UNIT, link)


# ----------------------------------------------------------------------------------------------
# the supervisor: one per host, boots it again whenever it reboots

def _host_pids(hdir):
    """The recorded pids of a host that are still the processes they were recorded as.

    Returns {'supervisor': pid or None, 'nspawn': ..., 'systemd': ...}. A pid counts only while
    it still looks like what was recorded (command, parent), so a recycled pid is never signalled.
    """
    boot = _read_json(os.path.join(hdir, 'boot.json'))
    supervisor = _read_int(os.path.join(hdir, 'supervisor.pid'))
    cmdline = (_read('/proc/%d/cmdline' % supervisor, '') or '') if supervisor else ''
    pids = {'supervisor': supervisor if _alive(supervisor) and '_supervise' in cmdline else None}
    nspawn = boot.get('nspawn_pid')
    pids['nspawn'] = nspawn if _alive(nspawn) and _comm(nspawn) == 'systemd-nspawn' else None
    systemd = boot.get('systemd_pid')
    stat = _stat(systemd)
    pids['systemd'] = systemd if stat and stat[1] == nspawn and _comm(systemd) == 'systemd' else None
    return pids


def _find_systemd(nspawn_pid, timeout=30):
    """The host's PID 1 as seen here: the child of nspawn that has exec'd systemd."""
    deadline = time.time() + timeout
    while time.time() < deadline and _alive(nspawn_pid):
        for child in _children(nspawn_pid):
            if _comm(child) == 'systemd':
                return child
        time.sleep(0.02)
    return None


def _boot_once(hdir, name, count, console):
    """One boot of the host, until nspawn exits; returns nspawn's exit status."""
    env = dict(os.environ, SYSTEMD_NSPAWN_API_VFS_WRITABLE='1')  # lets a host sysctl -w kernel.shm*
    cluster = os.path.join(os.path.dirname(os.path.dirname(hdir)), 'cluster')
    argv = [NSPAWN, '-D', os.path.join(hdir, 'root'), '--boot', '--register=no', '--keep-unit',
            '--machine=' + name, '-q', '--bind=%s:%s' % (cluster, CLUSTER_MOUNT)]
    started = time.time()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=console, stderr=console, env=env, cwd='/')
    systemd = _find_systemd(proc.pid)
    boot_id = _read('/proc/%d/root/proc/sys/kernel/random/boot_id' % systemd) if systemd else None
    _write(os.path.join(hdir, 'boot.json'), json.dumps(
        {'boot_count': count, 'nspawn_pid': proc.pid, 'systemd_pid': systemd, 'boot_id': boot_id,
         'started_at': started}) + '\n')
    poweroff = os.path.join(hdir, 'poweroff')
    signalled = 0
    while True:
        try:
            return proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        # Asked to power off: again every few seconds, since systemd ignores the signal until it
        # has installed its handlers early in the boot.
        if systemd and os.path.exists(poweroff) and time.time() - signalled > 3:
            if _host_pids(hdir)['systemd'] == systemd:
                os.kill(systemd, POWEROFF_SIGNAL)
            signalled = time.time()


def supervise(fleet_dir, name):
    """Boot host `name` while it reboots, until it powers off. Runs in the foreground."""
    hdir = host_dir(fleet_dir, name)
    poweroff = os.path.join(hdir, 'poweroff')

    def stop(signum, frame):  # pylint: disable=unused-argument
        # A supervisor told to stop powers its host off first: no host runs unsupervised.
        _write(poweroff, 'supervisor got signal %d\n' % signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    count = 0
    with open(os.path.join(hdir, 'console.log'), 'ab') as console:
        while not os.path.exists(poweroff):
            count += 1
            started = time.time()
            rc = _boot_once(hdir, name, count, console)
            console.write(('\n%s supervisor: boot %d of %s ended with status %d\n'
                           % (time.strftime('%Y-%m-%d %H:%M:%S'), count, name, rc)).encode())
            console.flush()
            if rc != REBOOT_STATUS:
                break
            # A host that reboots as soon as it starts must not make this spin; no real boot and
            # reboot fits in half a second.
            if time.time() - started < 0.5:
                time.sleep(1)


def _spawn_detached(args, log_path, pidfile):
    """Start ``fleet.py <args>`` detached (it forks and records its pid in pidfile); returns that pid."""
    _remove(pidfile)
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen([sys.executable, os.path.join(SIM, 'fleet.py')] + list(args),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
                                start_new_session=True, cwd='/')
    proc.wait()  # it forks and exits at once: the daemon is then nobody's child but init's
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = _read_int(pidfile)
        if pid:
            return pid
        time.sleep(0.02)
    raise FleetError('`fleet.py %s` did not start; see %s' % (' '.join(args), log_path))


def _spawn_supervisor(fleet_dir, name):
    """Start a detached supervisor; returns its pid (from the pid file it writes)."""
    hdir = host_dir(fleet_dir, name)
    return _spawn_detached(['_supervise', '--dir', fleet_dir, '--host', name], os.path.join(hdir, 'supervisor.log'),
                           os.path.join(hdir, 'supervisor.pid'))


def _detach(pidfile):
    """The daemon's side of _spawn_detached: fork away from the spawning process, record the pid."""
    if os.fork():
        os._exit(0)  # pylint: disable=protected-access
    os.setsid()
    _write(pidfile, '%d\n' % os.getpid())


# ----------------------------------------------------------------------------------------------
# talking to hosts

def ssh_command(fleet_dir, port, extra=None):
    """The ssh argv prefix for the host on `port` (root@127.0.0.1 with the fleet's key)."""
    argv = ['ssh', '-i', os.path.join(fleet_dir, 'id_ed25519'), '-p', str(port),
            '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
            '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', '-o', 'IdentitiesOnly=yes']
    return argv + list(extra or []) + ['root@127.0.0.1']


def ssh(fleet_dir, host, command, timeout=60, check=False):
    """Run a shell command on one host; returns subprocess.CompletedProcess (text)."""
    fleet = load(fleet_dir)
    port = fleet['hosts'][host]['port']
    proc = subprocess.run(ssh_command(fleet_dir, port) + [command], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False,
                          universal_newlines=True)
    if check and proc.returncode != 0:
        raise FleetError('on %s, `%s` failed (rc %d): %s%s' % (host, command, proc.returncode, proc.stdout, proc.stderr))
    return proc


def wait_ssh(fleet_dir, hosts=None, timeout=60, boot_ids=None):
    """Wait until each host answers ssh (and, if boot_ids maps host -> old id, has a new boot id)."""
    fleet = load(fleet_dir)
    hosts = list(hosts or fleet['hosts'])
    deadline = time.time() + timeout
    pending = set(hosts)
    while pending and time.time() < deadline:
        for host in sorted(pending):
            if not _port_open(fleet['hosts'][host]['port']):
                continue
            try:
                proc = ssh(fleet_dir, host, 'cat /proc/sys/kernel/random/boot_id', timeout=10)
            except subprocess.TimeoutExpired:
                continue
            if proc.returncode == 0 and (not boot_ids or proc.stdout.strip() != boot_ids.get(host)):
                pending.discard(host)
        if pending:
            time.sleep(0.1)
    if pending:
        raise FleetError('hosts %s did not answer ssh within %d s; see console.log under %s/hosts/<host>'
                         % (', '.join(sorted(pending)), timeout, fleet_dir))


def _parallel_ssh(fleet_dir, hosts, command, timeout=300):
    fleet = load(fleet_dir)
    procs = {}
    for host in hosts:
        procs[host] = subprocess.Popen(ssh_command(fleet_dir, fleet['hosts'][host]['port']) + [command],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       universal_newlines=True)
    failed = []
    for host, proc in procs.items():
        try:
            out = proc.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            failed.append('%s: timed out after %d s' % (host, timeout))
            continue
        if proc.returncode != 0:
            failed.append('%s (rc %d): %s' % (host, proc.returncode, out.strip()))
    if failed:
        raise FleetError('`%s` failed on: %s' % (command, '; '.join(failed)))


def _inside(pid, argv, timeout=10):
    """Run argv inside the host whose PID 1 is `pid` (all its namespaces); (rc, stdout)."""
    try:
        proc = subprocess.run([NSENTER, '-t', str(pid), '-a'] + argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, ''
    return proc.returncode, proc.stdout.strip()


# ----------------------------------------------------------------------------------------------
# topology: namespaces, racks, replication factor, edition

def rack_map(hosts, racks):
    """Rack-ids 1..racks for hosts in order, split as evenly as counts allow (earlier racks get the extra
    host): 6 hosts in 3 racks are 1,1,2,2,3,3; 5 hosts are 1,1,2,2,3."""
    if not 1 <= racks <= hosts:
        raise FleetError('--racks %d: give 1 to %d (one host per rack at least)' % (racks, hosts))
    base, extra = divmod(hosts, racks)
    out = []
    for rack in range(1, racks + 1):
        out += [rack] * (base + (1 if rack <= extra else 0))
    return out


def parse_rack_ids(text):
    """'test=1,1,2' -> ('test', [1, 1, 2]) (argparse type of --rack-ids)."""
    name, equals, ids = str(text).partition('=')
    try:
        values = [int(value) for value in ids.split(',')]
    except ValueError:
        values = []
    if not equals or not name or not values or not all(0 <= value <= 1000000 for value in values):
        raise argparse.ArgumentTypeError('%r: give NAMESPACE=ID,ID,... with one rack-id (0-1000000) per host' % text)
    return name, values


def topology(hosts, namespaces, racks=None, replication_factor=None, strong_consistency=False, edition=None,
             rack_ids=None):
    """What each host's aerospike.conf and sysconfig say: {'edition', 'namespaces': {ns: {'racks': [id per
    host], 'replication_factor', 'strong_consistency'}}}. Nothing of it reaches the inventory."""
    rack_ids = dict(rack_ids or {})
    unknown = sorted(set(rack_ids) - set(namespaces))
    if unknown:
        raise FleetError('--rack-ids names %s, which is not a --namespace' % ', '.join(unknown))
    default = rack_map(hosts, racks) if racks else [0] * hosts
    out = {'edition': edition or 'enterprise', 'namespaces': {}}
    for ns in namespaces:
        ids = rack_ids.get(ns, default)
        if len(ids) != hosts:
            raise FleetError('--rack-ids %s gives %d rack-ids for %d hosts' % (ns, len(ids), hosts))
        out['namespaces'][ns] = {'racks': list(ids), 'replication_factor': replication_factor or 2,
                                 'strong_consistency': bool(strong_consistency)}
    enterprise_only = any(any(cfg['racks']) or cfg['strong_consistency'] for cfg in out['namespaces'].values())
    if out['edition'] == 'community' and enterprise_only:
        raise FleetError('Community Edition refuses rack-id and strong-consistency (asd would not start): '
                         'drop --racks, --rack-ids and --strong-consistency, or use --edition enterprise')
    return out


def namespace_stanzas(plan, index):
    """The namespace stanzas of the host at index (0-based) for a topology()."""
    stanzas = []
    for ns, config in plan['namespaces'].items():
        settings = '\treplication-factor %d\n' % config['replication_factor']
        if config['racks'][index]:
            settings += '\track-id %d\n' % config['racks'][index]
        if config['strong_consistency']:
            settings += '\tstrong-consistency true\n'
        stanzas.append(NAMESPACE_STANZA.format(name=ns, settings=settings))
    return '\n'.join(stanzas)


def with_namespaces(conf, stanzas):
    """aerospike.conf's text with its top-level namespace stanzas replaced by `stanzas`."""
    kept, depth, dropping = [], 0, False
    for line in conf.splitlines(True):
        words = line.split('#', 1)[0].replace('{', ' { ').replace('}', ' } ').split()
        if depth == 0 and words[:1] == ['namespace'] and '{' in words:
            dropping = True
        if not dropping:
            kept.append(line)
        depth += words.count('{') - words.count('}')
        if depth <= 0:
            depth, dropping = 0, False
    return ''.join(kept).rstrip('\n') + '\n\n' + stanzas


def _configure_host(root, index, plan):
    """Write the topology into one host's aerospike.conf and sysconfig (asd reads both at start)."""
    conf = os.path.join(root, 'etc/aerospike/aerospike.conf')
    _write(conf, with_namespaces(_read(conf, '') + '\n', namespace_stanzas(plan, index)))
    if plan['edition'] != 'enterprise':
        with open(os.path.join(root, SYSCONFIG), 'a') as handle:
            handle.write('ASD_SIM_EDITION=%s\n' % plan['edition'])


def _asinfo(fleet_dir, host, request):
    proc = ssh(fleet_dir, host, "asinfo -v '%s'" % request, timeout=30)
    return proc.stdout.strip()


def _set_rosters(fleet_dir, names, plan, timeout):
    """SC namespaces get their roster once every node is in: observed nodes -> roster-set -> recluster."""
    sc = [ns for ns, config in plan['namespaces'].items() if config['strong_consistency']]
    if not sc:
        return
    deadline = time.time() + timeout
    while 'cluster_size=%d;' % len(names) not in _asinfo(fleet_dir, names[0], 'statistics') + ';':
        if time.time() > deadline:
            raise FleetError('the cluster did not reach %d nodes within %d s, so no roster was set' % (len(names), timeout))
        time.sleep(0.2)
    for ns in sc:
        observed = _asinfo(fleet_dir, names[0], 'roster:namespace=%s' % ns).split('observed_nodes=')[-1]
        reply = _asinfo(fleet_dir, names[0], 'roster-set:namespace=%s;nodes=%s' % (ns, observed))
        if reply != 'ok':
            raise FleetError('roster-set of %s on %s answered %r' % (ns, names[0], reply))
    replies = [_asinfo(fleet_dir, name, 'recluster:') for name in names]
    if 'ok' not in replies:
        raise FleetError('no node took recluster: after roster-set (replies %s)' % replies)


# ----------------------------------------------------------------------------------------------
# the watcher: the fewest live copies of any partition while a roll runs (sim/asinfo.py's model)

def _asinfo_module():
    spec = importlib.util.spec_from_file_location('fleet_asinfo', ASINFO_SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fold_sample(report, now, live, copies):
    """Add one sample (asinfo.sample()) to a watcher report; keeps each namespace's lowest point."""
    report['samples'] += 1
    for ns, figures in copies.items():
        entry = report['namespaces'].setdefault(ns, {'min_copies': None, 'at': None, 'live': None, 'samples': 0,
                                                     'replication_factor': figures['replication_factor']})
        entry['samples'] += 1
        if entry['min_copies'] is None or figures['min_copies'] < entry['min_copies']:
            entry.update(min_copies=figures['min_copies'], at=now, live=live,
                         replication_factor=figures['replication_factor'])
    lows = [entry['min_copies'] for entry in report['namespaces'].values()]
    report['min_copies'] = min(lows) if lows else None
    return report


def watch(fleet_dir, interval=0.2, stop=None):
    """Sample DIR/cluster every interval until stop() is true (SIGTERM for the daemon); returns the report,
    also written to DIR/watch.json whenever it changes. Runs on the controller: the cluster folder is the
    one every host binds, and node liveness is the kernel's flock, visible from here."""
    module = _asinfo_module()
    cluster = os.path.join(fleet_dir, 'cluster')
    report = {'started_at': time.time(), 'interval': interval, 'samples': 0, 'errors': 0, 'min_copies': None,
              'namespaces': {}, 'stopped_at': None}
    last = None
    while not (stop and stop()):
        try:
            live, copies = module.sample(cluster)
            fold_sample(report, time.time(), live, copies)
        except Exception as exc:  # pylint: disable=broad-except
            # A node json caught mid-write is read again at the next tick; the report counts it.
            report['errors'] += 1
            report['last_error'] = str(exc)
        figures = json.dumps([report['namespaces'], report['errors']], sort_keys=True)
        if figures != last:
            _write(os.path.join(fleet_dir, WATCH_REPORT), json.dumps(report, sort_keys=True) + '\n')
            last = figures
        time.sleep(interval)
    report['stopped_at'] = time.time()
    _write(os.path.join(fleet_dir, WATCH_REPORT), json.dumps(report, sort_keys=True) + '\n')
    return report


def _run_watcher(fleet_dir, interval):
    stopping = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
    watch(fleet_dir, interval, stop=lambda: stopping)


def _watcher_pid(fleet_dir):
    """The recorded watcher's pid while it still is that watcher (a reused pid is never signalled)."""
    pid = _read_int(os.path.join(fleet_dir, WATCH_PID))
    cmdline = (_read('/proc/%d/cmdline' % pid, '') or '') if pid else ''
    return pid if _alive(pid) and '_watch' in cmdline and fleet_dir in cmdline else None


def watch_start(fleet_dir, interval=0.2):
    """Start the watcher detached; returns its pid (recorded in DIR/watch.pid)."""
    fleet_dir = os.path.abspath(fleet_dir)
    if not os.path.isdir(os.path.join(fleet_dir, 'cluster')):
        raise FleetError('no cluster folder in %s: start the fleet first' % fleet_dir)
    running = _watcher_pid(fleet_dir)
    if running:
        raise FleetError('a watcher already runs for %s (pid %d); stop it with watch-stop' % (fleet_dir, running))
    _remove(os.path.join(fleet_dir, WATCH_REPORT))
    return _spawn_detached(['_watch', '--dir', fleet_dir, '--interval', str(interval)],
                           os.path.join(fleet_dir, WATCH_LOG), os.path.join(fleet_dir, WATCH_PID))


def watch_stop(fleet_dir, timeout=30):
    """SIGTERM the recorded watcher, wait for it, and return its report."""
    fleet_dir = os.path.abspath(fleet_dir)
    pid = _watcher_pid(fleet_dir)
    if not pid:
        raise FleetError('no watcher runs for %s (start one with watch-start)' % fleet_dir)
    os.kill(pid, signal.SIGTERM)
    if not _wait_gone([pid], timeout):
        raise FleetError('the watcher (pid %d) did not stop within %d s; see %s' % (
            pid, timeout, os.path.join(fleet_dir, WATCH_LOG)))
    _remove(os.path.join(fleet_dir, WATCH_PID))
    return _read_json(os.path.join(fleet_dir, WATCH_REPORT))


# ----------------------------------------------------------------------------------------------
# up / down / status

def _inventory_text(fleet_dir, fleet):
    lines = ['# Written by sim/fleet.py; every host is a Debian 12 container on 127.0.0.1.', '[aerospike]']
    for name in _host_order(fleet['hosts']):
        # Every host is 127.0.0.1; the simulated asinfo reaches a node by its name (asinfo -h h2).
        lines.append('%s ansible_host=127.0.0.1 ansible_port=%d rolling_reboot_node_address=%s'
                     % (name, fleet['hosts'][name]['port'], name))
    lines += [
        '',
        '[aerospike:vars]',
        'ansible_user=root',
        'ansible_ssh_private_key_file=%s' % os.path.join(fleet_dir, 'id_ed25519'),
        'ansible_python_interpreter=%s' % HOST_PYTHON,
        "ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes'",
        '',
    ]
    return '\n'.join(lines)


def _running_hosts(fleet_dir):
    try:
        fleet = load(fleet_dir)
    except FleetError:
        return []
    return [name for name, host in fleet['hosts'].items() if any(_host_pids(host['dir']).values())]


def _check_up_args(fleet_dir, names, base_port, namespace, size):
    if os.geteuid() != 0:
        raise FleetError('the fleet needs root (systemd-nspawn); run it as root')
    running = _running_hosts(fleet_dir)
    if running:
        raise FleetError('a fleet is already running in %s (hosts %s); stop it first: python %s down --dir %s'
                         % (fleet_dir, ', '.join(sorted(running)), os.path.join(SIM, 'fleet.py'), fleet_dir))
    if namespace and not size:
        raise FleetError('--namespace needs --size (bytes of the namespace\'s index)')
    busy = [str(base_port + index) for index in range(len(names)) if not _port_free(base_port + index)]
    if busy:
        raise FleetError('ports %s on 127.0.0.1 are in use; pick another --base-port' % ', '.join(busy))


def _prepare_fleet_dir(fleet_dir, migration_seconds):
    os.makedirs(os.path.join(fleet_dir, 'cluster', 'nodes'), exist_ok=True)
    config = os.path.join(fleet_dir, 'cluster', 'config.json')
    if migration_seconds is not None:
        # asinfo reads it on every host, through the bind mount of the cluster folder.
        _write(config, json.dumps({'migration_seconds': float(migration_seconds)}) + '\n')
    elif os.path.exists(config):
        os.unlink(config)
    _keygen(os.path.join(fleet_dir, 'id_ed25519'), 'fastrestart-fleet')


def _start_cluster(fleet_dir, fleet, names, namespaces, size, stages, extra_create_args, timeout):
    """After the first boot, with namespaces: create them, enable and start asd on every host.

    Without one, aerospike.service stays disabled: the simulated asd has nothing to serve and would
    fail at every boot, leaving the host `degraded`.
    """
    # Each host finishes its boot first, so that nothing below races systemd's own start-up.
    _parallel_ssh(fleet_dir, names, 'systemctl is-system-running --wait >/dev/null || true', timeout=timeout)
    if not namespaces:
        return
    names_args = ' '.join('--namespace ' + ns for ns in namespaces)
    create = 'asd create --instance 0 %s --size %d' % (names_args, size_bytes(size))
    if stages:
        create += ' --stages %d' % int(stages)
    if extra_create_args:
        create += ' ' + ' '.join(extra_create_args)
    _parallel_ssh(fleet_dir, names, create, timeout=timeout)
    # Enabled only now, so that the first boot did not start an asd without data.
    for name in names:
        _enable_aerospike(os.path.join(fleet['hosts'][name]['dir'], 'root'))
    _parallel_ssh(fleet_dir, names, 'systemctl start aerospike', timeout=timeout)


def up(fleet_dir=DEFAULT_DIR, hosts=2, base_port=DEFAULT_BASE_PORT, python=None,  # pylint: disable=too-many-locals
       namespace=None, size=None, stages=None, extra_create_args=None, timeout=120, migration_seconds=None,
       **layout):
    """Build and boot a fleet; with namespace/size, every host starts as a running asd cluster member.

    namespace: a name or a list of names. layout: topology()'s racks, replication_factor,
    strong_consistency, edition and rack_ids ({ns: [rack-id per host]}), written into each host's
    aerospike.conf (and ASD_SIM_EDITION into its sysconfig); SC namespaces get their roster once up.
    `python` is kept for old callers and ignored: hosts run their own /usr/bin/python3.
    Returns the fleet description (also in <fleet_dir>/fleet.json).
    """
    fleet_dir = os.path.abspath(fleet_dir)
    if python and python != HOST_PYTHON:
        sys.stderr.write('fleet: --python is ignored: Ansible and asd use each host\'s %s\n' % HOST_PYTHON)
    names = host_names(hosts)
    namespaces = [namespace] if isinstance(namespace, str) else list(namespace or [])
    _check_up_args(fleet_dir, names, base_port, namespaces, size)
    plan = topology(hosts, namespaces, **layout)
    started = time.time()
    cache, built = rootfs()
    if built is not None:
        sys.stderr.write('fleet: built the root file system %s in %.0f s\n' % (cache, built))
    _prepare_fleet_dir(fleet_dir, migration_seconds)
    fleet = {'dir': fleet_dir, 'python': HOST_PYTHON, 'base_port': base_port, 'rootfs': cache, 'hosts': {},
             'topology': plan}
    _copy_roots(fleet_dir, names, cache)
    for index, name in enumerate(names):
        fleet['hosts'][name] = {'port': base_port + index, 'dir': _build_host(fleet_dir, name, base_port + index)}
        if namespaces:
            _configure_host(os.path.join(fleet['hosts'][name]['dir'], 'root'), index, plan)
    _write(os.path.join(fleet_dir, 'fleet.json'), json.dumps(fleet, indent=2, sort_keys=True) + '\n')
    try:
        for name in names:
            fleet['hosts'][name]['supervisor_pid'] = _spawn_supervisor(fleet_dir, name)
        _write(os.path.join(fleet_dir, 'fleet.json'), json.dumps(fleet, indent=2, sort_keys=True) + '\n')
        wait_ssh(fleet_dir, names, timeout=timeout)
        _start_cluster(fleet_dir, fleet, names, namespaces, size, stages, extra_create_args, timeout)
        _set_rosters(fleet_dir, names, plan, timeout)
    except BaseException:
        down(fleet_dir)
        raise
    fleet['up_seconds'] = round(time.time() - started, 2)
    _write(os.path.join(fleet_dir, 'fleet.json'), json.dumps(fleet, indent=2, sort_keys=True) + '\n')
    _write(os.path.join(fleet_dir, 'inventory.ini'), _inventory_text(fleet_dir, fleet))
    return fleet


def _kill_leftovers(hosts):
    """SIGKILL what a clean poweroff left running, host's PID 1 first (it takes the whole host)."""
    left = []
    for hdir in hosts:
        pids = _host_pids(hdir)
        for kind in ('systemd', 'nspawn', 'supervisor'):
            if pids[kind]:
                os.kill(pids[kind], signal.SIGKILL)
                left.append(pids[kind])
    return _wait_gone(left, 10), left


def down(fleet_dir=DEFAULT_DIR, purge=False, timeout=60):
    """Power every host off cleanly, wait for the supervisors, then SIGKILL recorded pids left."""
    fleet_dir = os.path.abspath(fleet_dir)
    if _watcher_pid(fleet_dir):
        watch_stop(fleet_dir)  # it samples DIR/cluster, which --purge removes
    try:
        fleet = load(fleet_dir)
    except FleetError:
        if purge and os.path.isdir(fleet_dir):
            shutil.rmtree(fleet_dir)
        return
    hosts = [host['dir'] for host in fleet['hosts'].values() if os.path.isdir(host['dir'])]
    supervisors = []
    for hdir in hosts:
        _write(os.path.join(hdir, 'poweroff'), 'fleet.py down\n')
        pids = _host_pids(hdir)
        if pids['systemd']:
            # The supervisor repeats this until the host is off; the first signal here saves it a beat.
            os.kill(pids['systemd'], POWEROFF_SIGNAL)
        if pids['supervisor']:
            supervisors.append(pids['supervisor'])
    _wait_gone(supervisors, timeout)
    gone, left = _kill_leftovers(hosts)
    if not gone:
        raise FleetError('processes %s of the fleet did not stop; look at console.log under %s/hosts'
                         % (left, fleet_dir))
    if purge:
        shutil.rmtree(fleet_dir)


def host_status(fleet_dir, name, host):  # pylint: disable=unused-argument
    """One host's row of status(): read from outside (pids, boot.json) and inside (nsenter)."""
    hdir = host['dir']
    pids = _host_pids(hdir)
    boot = _read_json(os.path.join(hdir, 'boot.json'))
    systemd = pids['systemd']
    state, asd, boot_id = 'off', False, None
    if systemd:
        state = _inside(systemd, ['systemctl', 'is-system-running'])[1] or 'unknown'
        asd = _inside(systemd, ['systemctl', 'is-active', '--quiet', 'aerospike'])[0] == 0
        boot_id = _read('/proc/%d/root/proc/sys/kernel/random/boot_id' % systemd)
    return {
        'host': name,
        'up': bool(state in ('running', 'degraded') and _port_open(host['port'])),
        'state': state,
        'port': host['port'],
        'boot_id': boot_id or boot.get('boot_id'),
        'boot_count': boot.get('boot_count', 0),
        'asd_running': asd,
        'supervisor_pid': pids['supervisor'],
        'nspawn_pid': pids['nspawn'],
        'systemd_pid': systemd,
    }


def status(fleet_dir=DEFAULT_DIR):
    """Per host: up, system state, port, boot id, boot count, asd running (dicts in host order)."""
    fleet_dir = os.path.abspath(fleet_dir)
    fleet = load(fleet_dir)
    return [host_status(fleet_dir, name, fleet['hosts'][name]) for name in _host_order(fleet['hosts'])]


def inventory(fleet_dir=DEFAULT_DIR):
    path = os.path.join(os.path.abspath(fleet_dir), 'inventory.ini')
    if not os.path.exists(path):
        raise FleetError('no inventory at %s; start the fleet with: python %s up --dir %s'
                         % (path, os.path.join(SIM, 'fleet.py'), fleet_dir))
    return path


# ----------------------------------------------------------------------------------------------

def _parser():
    parser = argparse.ArgumentParser(description='A fleet of Debian 12 hosts running a simulated Aerospike '
                                                 '(sim/README.md).')
    sub = parser.add_subparsers(dest='action')
    sub.required = True
    sub.add_parser('rootfs', help='print the cached root file system\'s path; build it when missing')
    p_up = sub.add_parser('up', help='build and boot the fleet')
    p_up.add_argument('--dir', default=DEFAULT_DIR, help='fleet folder (not tmpfs: backups live there); default %(default)s')
    p_up.add_argument('--hosts', type=int, default=2)
    p_up.add_argument('--base-port', type=int, default=DEFAULT_BASE_PORT)
    p_up.add_argument('--python', default=None, help=argparse.SUPPRESS)  # ignored, for old callers
    p_up.add_argument('--namespace', action='append', help='create this namespace on every host and start asd '
                      '(repeat it for more)')
    p_up.add_argument('--size', type=size_bytes, help='primary index bytes per namespace (K/M/G suffix allowed)')
    p_up.add_argument('--stages', type=int)
    p_up.add_argument('--migration-seconds', type=float, default=None,
                      help='how long migrations run after a membership change (asinfo default 3)')
    p_up.add_argument('--racks', type=int, default=None, help='split the hosts in order into this many racks '
                      '(rack-ids 1..R in every namespace)')
    p_up.add_argument('--rack-ids', action='append', type=parse_rack_ids, default=[], metavar='NS=ID,ID,...',
                      help='one namespace\'s rack-id per host, instead of --racks (repeatable)')
    p_up.add_argument('--replication-factor', type=int, default=None, help='every namespace\'s (default 2)')
    p_up.add_argument('--strong-consistency', action='store_true', help='every namespace SC; the roster is set '
                      'once the cluster is up')
    p_up.add_argument('--edition', choices=('enterprise', 'community'), default=None)
    p_up.add_argument('--timeout', type=int, default=120)
    p_down = sub.add_parser('down', help='power every host off')
    p_down.add_argument('--dir', default=DEFAULT_DIR)
    p_down.add_argument('--purge', action='store_true', help='also remove the fleet folder')
    p_status = sub.add_parser('status', help='per-host state')
    p_status.add_argument('--dir', default=DEFAULT_DIR)
    p_status.add_argument('--json', action='store_true')
    p_inv = sub.add_parser('inventory', help='print the inventory path')
    p_inv.add_argument('--dir', default=DEFAULT_DIR)
    p_sup = sub.add_parser('_supervise', help=argparse.SUPPRESS)
    p_sup.add_argument('--dir', required=True)
    p_sup.add_argument('--host', required=True)
    for action, text in (('watch-start', 'start sampling the live copies of every partition (detached)'),
                         ('_watch', argparse.SUPPRESS)):
        p_watch = sub.add_parser(action, help=text)
        p_watch.add_argument('--dir', default=DEFAULT_DIR)
        p_watch.add_argument('--interval', type=float, default=0.2, help='seconds between samples')
    p_stop = sub.add_parser('watch-stop', help='stop the watcher and print its report (JSON)')
    p_stop.add_argument('--dir', default=DEFAULT_DIR)
    return parser


def _print_status(rows):
    print('%-4s %-6s %-11s %-36s %5s %s' % ('host', 'port', 'state', 'boot id', 'boots', 'asd'))
    for row in rows:
        print('%-4s %-6d %-11s %-36s %5d %s' % (row['host'], row['port'], row['state'], row['boot_id'] or '-',
                                                row['boot_count'], 'running' if row['asd_running'] else 'stopped'))


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.action == 'rootfs':
            path, seconds = rootfs()
            if seconds is not None:
                sys.stderr.write('fleet: built %s in %.1f s\n' % (path, seconds))
            print(path)
        elif args.action == 'up':
            fleet = up(args.dir, args.hosts, args.base_port, args.python, args.namespace, args.size, args.stages,
                       timeout=args.timeout, migration_seconds=args.migration_seconds, racks=args.racks,
                       replication_factor=args.replication_factor, strong_consistency=args.strong_consistency,
                       edition=args.edition, rack_ids=dict(args.rack_ids))
            print('fleet of %d hosts up in %.1f s; inventory: %s'
                  % (len(fleet['hosts']), fleet['up_seconds'], os.path.join(fleet['dir'], 'inventory.ini')))
        elif args.action == 'down':
            down(args.dir, purge=args.purge)
        elif args.action == 'status':
            rows = status(args.dir)
            if args.json:
                print(json.dumps(rows, indent=2))
            else:
                _print_status(rows)
        elif args.action == 'inventory':
            print(inventory(args.dir))
        elif args.action == '_supervise':
            _detach(os.path.join(host_dir(os.path.abspath(args.dir), args.host), 'supervisor.pid'))
            supervise(os.path.abspath(args.dir), args.host)
        elif args.action == '_watch':
            _detach(os.path.join(os.path.abspath(args.dir), WATCH_PID))
            _run_watcher(os.path.abspath(args.dir), args.interval)
        elif args.action == 'watch-start':
            print('watcher started (pid %d)' % watch_start(args.dir, args.interval))
        elif args.action == 'watch-stop':
            print(json.dumps(watch_stop(args.dir), sort_keys=True))
    except FleetError as exc:
        sys.stderr.write('fleet: %s\n' % exc)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
