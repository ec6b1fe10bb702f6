# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet of simulated Aerospike hosts on one machine (see sim/README.md, "Simulated fleet").

Every host is a set of Linux namespaces (IPC, PID, mount, UTS) whose PID 1 is sim/host_init.py,
reached over real SSH on 127.0.0.1:<port>. A supervisor process per host "boots" it in a loop, so
that a reboot (PID 1 exits) loses the host's shared memory and kills its asd, and the host comes
back with a new boot id.

    python sim/fleet.py up --dir DIR --hosts 2 [--namespace test --size 8388608 --stages 2]
    python sim/fleet.py status --dir DIR [--json]
    python sim/fleet.py inventory --dir DIR
    python sim/fleet.py down --dir DIR [--purge]

The same operations are importable: up(), down(), status(), ssh(). Standard library only.
Every process this starts is recorded by pid; nothing is ever stopped by name.
"""

from __future__ import absolute_import, division, print_function

import argparse
import errno
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
sys.path.insert(0, SIM)

import asinfo  # noqa: E402  pylint: disable=wrong-import-position
DEFAULT_DIR = '/var/tmp/fastrestart-fleet'
# The checkout's virtual environment has sysv_ipc, which the hosts' asd and modules need.
_VENV_PYTHON = os.path.join(os.path.dirname(SIM), '.venv', 'bin', 'python')
DEFAULT_PYTHON = _VENV_PYTHON if os.path.exists(_VENV_PYTHON) else sys.executable
DEFAULT_BASE_PORT = 2221
RUNLEVEL = 2
INIT_COMM = 'sysvinit'
SSHD = '/usr/sbin/sshd'
UNSHARE = '/usr/bin/unshare'

# Folders that each host gets to itself. The ones under /etc and /usr/local/bin start as copies of
# what the simulation needs, so that update-rc.d or an edited script changes one host only.
PRIVATE_DIRS = (
    '/etc/init.d',
    '/etc/rc0.d', '/etc/rc1.d', '/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d', '/etc/rc6.d', '/etc/rcS.d',
    '/run',
    '/var/lib/asd-sim',
    '/var/log/aerospike',
    '/var/backups/aerospike',
    '/usr/local/bin',
)
# Mount points that a stock Debian root filesystem lacks; they stay empty outside the hosts.
MOUNT_POINTS = ('/var/lib/asd-sim', '/var/log/aerospike', '/var/backups/aerospike')
START_LEVELS = ('2', '3', '4', '5')
STOP_LEVELS = ('0', '1', '6')


class FleetError(Exception):
    """A fleet operation that cannot go on; the message says what to do."""


# ----------------------------------------------------------------------------------------------
# small helpers

def _write(path, text, mode=None):
    """Write through a temporary file and rename, so readers never see half a file."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp-')
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(tmp, mode)
    os.rename(tmp, path)


def _read(path, default=None):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return default


def _read_int(path):
    value = _read(path)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _alive(pid):
    """True while pid exists and is not a zombie."""
    if not pid:
        return False
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (IOError, OSError):
        return False
    return fields[0] != 'Z'


def _comm(pid):
    return _read('/proc/%d/comm' % pid, '')


def _wait_gone(pids, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return not any(_alive(pid) for pid in pids)


def _port_open(port, host='127.0.0.1'):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        return sock.connect_ex((host, port)) == 0
    finally:
        sock.close()


def _port_free(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
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
# building the hosts

SSHD_CONFIG = """\
# Written by sim/fleet.py for simulated host {name}.
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile /run/sshd.pid
AuthorizedKeysFile {authorized_keys}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin yes
UseDNS no
PrintMotd no
X11Forwarding no
MaxStartups 64:30:128
MaxSessions 64
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
"""

BASHRC = """\
# Written by sim/fleet.py: ~/.bashrc of simulated host {name}.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"""

WRAPPER = """\
#!/bin/sh
# Written by sim/fleet.py: the simulated {tool} of host {name}.
ASD_SIM_CLUSTER_DIR='{cluster}'
ASD_SIM_NODE_ID='{name}'
ASD_SIM_STATE="${{ASD_SIM_STATE:-/var/lib/asd-sim}}"
ASD_SIM_LOG="${{ASD_SIM_LOG:-/var/log/aerospike/aerospike.log}}"
export ASD_SIM_CLUSTER_DIR ASD_SIM_NODE_ID ASD_SIM_STATE ASD_SIM_LOG
exec '{python}' '{script}' "$@"
"""


def _keygen(path, comment):
    if not os.path.exists(path):
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


def _sysv_links(root, script, enabled):
    """What update-rc.d defaults (or defaults-disabled) makes when insserv is absent."""
    for level in START_LEVELS:
        link = os.path.join(root, 'etc', 'rc%s.d' % level, '%s01%s' % ('S' if enabled else 'K', script))
        if not os.path.lexists(link):
            os.symlink('../init.d/%s' % script, link)
    for level in STOP_LEVELS:
        link = os.path.join(root, 'etc', 'rc%s.d' % level, 'K01%s' % script)
        if not os.path.lexists(link):
            os.symlink('../init.d/%s' % script, link)


def _build_host(fleet_dir, name, port, python):
    hdir = host_dir(fleet_dir, name)
    root = os.path.join(hdir, 'root')
    for folder in PRIVATE_DIRS:
        os.makedirs(root + folder, exist_ok=True)
    shutil.copy(os.path.join(SIM, 'init.d', 'aerospike'), os.path.join(root, 'etc/init.d/aerospike'))
    os.chmod(os.path.join(root, 'etc/init.d/aerospike'), 0o755)
    cluster = os.path.join(fleet_dir, 'cluster')
    for tool, script in (('asd', 'asd_sim.py'), ('asinfo', 'asinfo.py')):
        _write(os.path.join(root, 'usr/local/bin', tool),
               WRAPPER.format(tool=tool, name=name, cluster=cluster, python=python, script=os.path.join(SIM, script)),
               mode=0o755)
    _write(os.path.join(hdir, 'sshd_config'), SSHD_CONFIG.format(
        name=name, port=port, host_key=os.path.join(fleet_dir, 'ssh_host_ed25519_key'),
        authorized_keys=os.path.join(fleet_dir, 'authorized_keys')))
    # The machine's own /root/.bashrc runs `pyenv rehash`, which bash sources for every ssh
    # command; a reboot that kills it mid-way leaves pyenv's lock file behind for the whole
    # machine. Each host gets a plain one instead.
    _write(os.path.join(hdir, 'bashrc'), BASHRC.format(name=name))
    mounts = [{'source': root + folder, 'target': folder} for folder in PRIVATE_DIRS]
    if os.path.exists('/root/.bashrc'):
        mounts.append({'source': os.path.join(hdir, 'bashrc'), 'target': '/root/.bashrc'})
    # Last, so that nothing mounted later hides it: what `cat .../boot_id` (Ansible's reboot
    # module) reads inside this host.
    mounts.append({'source': os.path.join(hdir, 'boot_id'), 'target': '/proc/sys/kernel/random/boot_id'})
    plan = {
        'hostname': name,
        'runlevel': RUNLEVEL,
        'mounts': mounts,
        'run_dirs': [['/run/sshd', 0o755], ['/run/lock', 0o1777]],
        'sshd': [SSHD, '-D', '-f', os.path.join(hdir, 'sshd_config'), '-E', os.path.join(hdir, 'sshd.log')],
        'sshd_log': os.path.join(hdir, 'sshd.log'),
        'boot_log': os.path.join(hdir, 'boot.log'),
        'boot_done': '/run/boot-done',
    }
    _write(os.path.join(hdir, 'host.json'), json.dumps(plan, indent=2) + '\n')
    return hdir


# ----------------------------------------------------------------------------------------------
# the supervisor: one per host, boots it again whenever its PID 1 exits

def _clear(folder):
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def _init_child(unshare_pid, timeout=5.0):
    """The pid (as seen here) of the host's PID 1, the only child of `unshare --fork`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        children = _read('/proc/%d/task/%d/children' % (unshare_pid, unshare_pid), '')
        if children:
            return int(children.split()[0])
        if not _alive(unshare_pid):
            return None
        time.sleep(0.01)
    return None


def supervise(fleet_dir, name, python=None):
    """Boot host `name` until its poweroff marker appears. Runs in the foreground."""
    hdir = host_dir(fleet_dir, name)
    python = python or sys.executable
    sysvinit = os.path.join(fleet_dir, INIT_COMM)
    poweroff = os.path.join(hdir, 'poweroff')
    state = {'init': None, 'unshare': None}

    def stop(signum, frame):  # pylint: disable=unused-argument
        # Killed supervisor: power the host off too, so no host is left without a supervisor.
        _write(poweroff, 'supervisor got signal %d\n' % signum)
        init = state['init'] or (state['unshare'] and _init_child(state['unshare'], timeout=0.5))
        if init and _comm(init) == INIT_COMM:
            os.kill(init, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    console = open(os.path.join(hdir, 'console.log'), 'ab')
    while not os.path.exists(poweroff):
        _clear(os.path.join(hdir, 'root', 'run'))
        boot_id = str(uuid.uuid4())
        _write(os.path.join(hdir, 'boot_id'), boot_id + '\n')
        _write(os.path.join(hdir, 'root', 'run', 'boot_id'), boot_id + '\n')
        count = (_read_int(os.path.join(hdir, 'boot_count')) or 0) + 1
        _write(os.path.join(hdir, 'boot_count'), '%d\n' % count)
        started = time.time()
        proc = subprocess.Popen(
            [UNSHARE, '--ipc', '--pid', '--mount', '--uts', '--fork', '--mount-proc', '--',
             sysvinit, os.path.join(SIM, 'host_init.py'), '--plan', os.path.join(hdir, 'host.json')],
            stdin=subprocess.DEVNULL, stdout=console, stderr=console, close_fds=True, cwd='/')
        state['unshare'] = proc.pid
        state['init'] = _init_child(proc.pid)
        _write(os.path.join(hdir, 'init.pid'), '%d\n' % (state['init'] or 0))
        _write(os.path.join(hdir, 'boot.json'), json.dumps(
            {'boot_id': boot_id, 'boot_count': count, 'init_pid': state['init'], 'unshare_pid': proc.pid,
             'started_at': started}) + '\n')
        while True:
            try:
                rc = proc.wait()
                break
            except OSError as exc:  # pragma: no cover - EINTR on old pythons
                if exc.errno != errno.EINTR:
                    raise
        state['init'] = state['unshare'] = None
        console.write(('%s supervisor: boot %d of %s ended (exit %d)\n'
                       % (time.strftime('%Y-%m-%d %H:%M:%S'), count, name, rc)).encode())
        console.flush()
        # A host that cannot boot must not make its supervisor spin.
        if time.time() - started < 2:
            time.sleep(2)
    try:
        os.unlink(os.path.join(hdir, 'init.pid'))
    except OSError:
        pass
    console.close()


def _spawn_supervisor(fleet_dir, name, python):
    """Start a detached supervisor; returns its pid (from the pid file it writes)."""
    hdir = host_dir(fleet_dir, name)
    pidfile = os.path.join(hdir, 'supervisor.pid')
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    with open(os.path.join(hdir, 'supervisor.log'), 'ab') as log:
        proc = subprocess.Popen(
            [sys.executable, os.path.join(SIM, 'fleet.py'), '_supervise', '--dir', fleet_dir, '--host', name,
             '--python', python],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True, start_new_session=True, cwd='/')
    proc.wait()  # it forks and exits at once: the supervisor is then nobody's child but init's
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = _read_int(pidfile)
        if pid:
            return pid
        time.sleep(0.02)
    raise FleetError('the supervisor of %s did not start; see %s' % (name, os.path.join(hdir, 'supervisor.log')))


def _daemonize_and_supervise(fleet_dir, name, python):
    if os.fork():
        os._exit(0)  # pylint: disable=protected-access
    os.setsid()
    _write(os.path.join(host_dir(fleet_dir, name), 'supervisor.pid'), '%d\n' % os.getpid())
    supervise(fleet_dir, name, python)


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
            port = fleet['hosts'][host]['port']
            if not _port_open(port):
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
        raise FleetError('hosts %s did not answer ssh within %d s; see console.log and sshd.log under %s/hosts/<host>'
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


# ----------------------------------------------------------------------------------------------
# up / down / status

def _inventory_text(fleet_dir, fleet):
    key = os.path.join(fleet_dir, 'id_ed25519')
    lines = ['# Written by sim/fleet.py; every host is a simulated one on 127.0.0.1.', '[aerospike]']
    for name in sorted(fleet['hosts'], key=lambda n: int(n[1:])):
        lines.append('%s ansible_host=127.0.0.1 ansible_port=%d' % (name, fleet['hosts'][name]['port']))
    lines += [
        '',
        '[aerospike:vars]',
        'ansible_user=root',
        'ansible_ssh_private_key_file=%s' % key,
        'ansible_python_interpreter=%s' % fleet['python'],
        "ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes'",
        '',
    ]
    return '\n'.join(lines)


def _running_hosts(fleet_dir):
    try:
        fleet = load(fleet_dir)
    except FleetError:
        return []
    return [name for name, host in fleet['hosts'].items() if _alive(_read_int(os.path.join(host['dir'], 'supervisor.pid')))]


def up(fleet_dir=DEFAULT_DIR, hosts=2, base_port=DEFAULT_BASE_PORT, python=DEFAULT_PYTHON,
       namespace=None, size=None, stages=None, extra_create_args=None, timeout=120, migration_seconds=None):
    """Build and boot a fleet; with namespace/size, every host starts as a running asd cluster member.

    Returns the fleet description (also in <fleet_dir>/fleet.json).
    """
    fleet_dir = os.path.abspath(fleet_dir)
    if os.geteuid() != 0:
        raise FleetError('the simulated fleet needs root (namespaces, bind mounts); run it as root')
    for tool in (SSHD, UNSHARE):
        if not os.access(tool, os.X_OK):
            raise FleetError('%s is missing; install it (apt-get install -y openssh-server util-linux)' % tool)
    running = _running_hosts(fleet_dir)
    if running:
        raise FleetError('a fleet is already running in %s (hosts %s); stop it first: python %s down --dir %s'
                         % (fleet_dir, ', '.join(sorted(running)), os.path.join(SIM, 'fleet.py'), fleet_dir))
    if namespace and not size:
        raise FleetError('--namespace needs --size (bytes of the namespace\'s data segments)')
    names = host_names(hosts)
    ports = dict((name, base_port + index) for index, name in enumerate(names))
    busy = [str(port) for port in ports.values() if not _port_free(port)]
    if busy:
        raise FleetError('ports %s on 127.0.0.1 are in use; pick another --base-port' % ', '.join(busy))
    started = time.time()
    os.makedirs(os.path.join(fleet_dir, 'cluster', 'nodes'), exist_ok=True)
    config = os.path.join(fleet_dir, 'cluster', 'config.json')
    if migration_seconds is not None:
        # asinfo reads it on every host (ssh sessions do not carry the caller's environment).
        _write(config, json.dumps({'migration_seconds': float(migration_seconds)}) + '\n')
    elif os.path.exists(config):
        os.unlink(config)
    for folder in MOUNT_POINTS:
        os.makedirs(folder, exist_ok=True)
    _keygen(os.path.join(fleet_dir, 'id_ed25519'), 'fastrestart-fleet')
    _keygen(os.path.join(fleet_dir, 'ssh_host_ed25519_key'), 'fastrestart-fleet-host')
    shutil.copy(os.path.join(fleet_dir, 'id_ed25519.pub'), os.path.join(fleet_dir, 'authorized_keys'))
    sysvinit = os.path.join(fleet_dir, INIT_COMM)
    if os.path.lexists(sysvinit):
        os.unlink(sysvinit)
    # exec through this link makes /proc/1/comm read "sysvinit"; realpath so the link's own
    # folder is not mistaken for a virtualenv.
    os.symlink(os.path.realpath(sys.executable), sysvinit)
    fleet = {'dir': fleet_dir, 'python': python, 'base_port': base_port, 'hosts': {}}
    for name in names:
        hdir = _build_host(fleet_dir, name, ports[name], python)
        for stale in ('poweroff', 'boot_count'):
            if os.path.exists(os.path.join(hdir, stale)):
                os.unlink(os.path.join(hdir, stale))
        fleet['hosts'][name] = {'port': ports[name], 'dir': hdir}
    _write(os.path.join(fleet_dir, 'fleet.json'), json.dumps(fleet, indent=2, sort_keys=True) + '\n')
    try:
        for name in names:
            fleet['hosts'][name]['supervisor_pid'] = _spawn_supervisor(fleet_dir, name, python)
        _write(os.path.join(fleet_dir, 'fleet.json'), json.dumps(fleet, indent=2, sort_keys=True) + '\n')
        wait_ssh(fleet_dir, names, timeout=timeout)
        if namespace:
            create = 'asd create --instance 0 --namespace %s --size %d' % (namespace, size_bytes(size))
            if stages:
                create += ' --stages %d' % int(stages)
            if extra_create_args:
                create += ' ' + ' '.join(extra_create_args)
            _parallel_ssh(fleet_dir, names, create, timeout=timeout)
        # Enabled only now, so that the first boot did not start an asd without data.
        for name in names:
            _sysv_links(os.path.join(fleet['hosts'][name]['dir'], 'root'), 'aerospike', enabled=True)
        if namespace:
            _parallel_ssh(fleet_dir, names, '/etc/init.d/aerospike start', timeout=timeout)
    except BaseException:
        down(fleet_dir)
        raise
    fleet['up_seconds'] = round(time.time() - started, 2)
    _write(os.path.join(fleet_dir, 'fleet.json'), json.dumps(fleet, indent=2, sort_keys=True) + '\n')
    _write(os.path.join(fleet_dir, 'inventory.ini'), _inventory_text(fleet_dir, fleet))
    return fleet


def down(fleet_dir=DEFAULT_DIR, purge=False, timeout=30):
    """Power every host off (poweroff marker, then SIGTERM to its PID 1, by recorded pid)."""
    fleet_dir = os.path.abspath(fleet_dir)
    try:
        fleet = load(fleet_dir)
    except FleetError:
        if purge and os.path.isdir(fleet_dir):
            shutil.rmtree(fleet_dir)
        return
    supervisors = []
    for name, host in sorted(fleet['hosts'].items()):
        hdir = host['dir']
        _write(os.path.join(hdir, 'poweroff'), 'fleet.py down\n')
        supervisor = _read_int(os.path.join(hdir, 'supervisor.pid'))
        if _alive(supervisor):
            supervisors.append(supervisor)
        init = _read_int(os.path.join(hdir, 'init.pid'))
        # The comm check guards against a pid that was recycled since the host booted.
        if _alive(init) and _comm(init) == INIT_COMM:
            os.kill(init, signal.SIGTERM)
        elif _alive(supervisor):
            # Between boots, or PID 1 not yet recorded: the supervisor's handler finds it.
            os.kill(supervisor, signal.SIGTERM)
    if not _wait_gone(supervisors, timeout):
        for pid in supervisors:
            if _alive(pid):
                os.kill(pid, signal.SIGTERM)
        if not _wait_gone(supervisors, 10):
            raise FleetError('supervisors %s did not stop; look at supervisor.log under %s/hosts'
                             % (supervisors, fleet_dir))
    if purge:
        shutil.rmtree(fleet_dir)


def _asd_running(fleet_dir, name):
    """asd holds its node lock while it runs. Its json is read first: asd takes the lock with
    LOCK_NB, so probing only a node that says it runs keeps the probe away from a starting asd."""
    nodes = os.path.join(fleet_dir, 'cluster', 'nodes')
    try:
        with open(os.path.join(nodes, name + '.json')) as handle:
            info = json.load(handle)
    except (IOError, OSError, ValueError):
        return False
    return bool(info.get('running', True)) and asinfo.flocked(os.path.join(nodes, name + '.lock'))


def host_status(fleet_dir, name, host):
    hdir = host['dir']
    supervisor = _read_int(os.path.join(hdir, 'supervisor.pid'))
    init = _read_int(os.path.join(hdir, 'init.pid'))
    running = _alive(supervisor) and _alive(init) and _comm(init) == INIT_COMM
    return {
        'host': name,
        'up': bool(running and _port_open(host['port'])),
        'port': host['port'],
        'boot_id': _read(os.path.join(hdir, 'boot_id')),
        'boot_count': _read_int(os.path.join(hdir, 'boot_count')) or 0,
        'supervisor_pid': supervisor if _alive(supervisor) else None,
        'init_pid': init if running else None,
        'asd_running': bool(running and _asd_running(fleet_dir, name)),
    }


def status(fleet_dir=DEFAULT_DIR):
    """Per host: up, port, boot id, boot count, asd running (a list of dicts in host order)."""
    fleet_dir = os.path.abspath(fleet_dir)
    fleet = load(fleet_dir)
    return [host_status(fleet_dir, name, fleet['hosts'][name]) for name in sorted(fleet['hosts'], key=lambda n: int(n[1:]))]


def inventory(fleet_dir=DEFAULT_DIR):
    path = os.path.join(os.path.abspath(fleet_dir), 'inventory.ini')
    if not os.path.exists(path):
        raise FleetError('no inventory at %s; start the fleet with: python %s up --dir %s'
                         % (path, os.path.join(SIM, 'fleet.py'), fleet_dir))
    return path


# ----------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description='A fleet of simulated Aerospike hosts (sim/README.md).')
    sub = parser.add_subparsers(dest='action')
    sub.required = True
    p_up = sub.add_parser('up', help='build and boot the fleet')
    p_up.add_argument('--dir', default=DEFAULT_DIR, help='fleet folder (not tmpfs: backups live there); default %(default)s')
    p_up.add_argument('--hosts', type=int, default=2)
    p_up.add_argument('--base-port', type=int, default=DEFAULT_BASE_PORT)
    p_up.add_argument('--python', default=DEFAULT_PYTHON, help='interpreter for Ansible and asd on the hosts; default %(default)s')
    p_up.add_argument('--namespace', help='create this namespace on every host and start asd')
    p_up.add_argument('--size', type=size_bytes, help='primary index bytes per namespace (K/M/G suffix allowed)')
    p_up.add_argument('--stages', type=int)
    p_up.add_argument('--migration-seconds', type=float, default=None,
                      help='how long migrations run after a membership change (asinfo default 3)')
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
    p_sup.add_argument('--python', default=None)
    args = parser.parse_args(argv)
    try:
        if args.action == 'up':
            fleet = up(args.dir, args.hosts, args.base_port, args.python, args.namespace, args.size, args.stages,
                       timeout=args.timeout, migration_seconds=args.migration_seconds)
            print('fleet of %d hosts up in %.1f s; inventory: %s'
                  % (len(fleet['hosts']), fleet['up_seconds'], os.path.join(fleet['dir'], 'inventory.ini')))
        elif args.action == 'down':
            down(args.dir, purge=args.purge)
        elif args.action == 'status':
            rows = status(args.dir)
            if args.json:
                print(json.dumps(rows, indent=2))
            else:
                print('%-4s %-4s %-6s %-36s %5s %s' % ('host', 'up', 'port', 'boot id', 'boots', 'asd'))
                for row in rows:
                    print('%-4s %-4s %-6d %-36s %5d %s' % (row['host'], 'yes' if row['up'] else 'no', row['port'],
                                                           row['boot_id'] or '-', row['boot_count'],
                                                           'running' if row['asd_running'] else 'stopped'))
        elif args.action == 'inventory':
            print(inventory(args.dir))
        elif args.action == '_supervise':
            _daemonize_and_supervise(os.path.abspath(args.dir), args.host, args.python)
    except FleetError as exc:
        sys.stderr.write('fleet: %s\n' % exc)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
