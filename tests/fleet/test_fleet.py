# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulated fleet (sim/fleet.py) and the fake asinfo (sim/asinfo.py), against the real thing.

The fleet tests boot two real hosts (namespaces + sshd + sim/asd_sim.py) under /var/tmp and talk
to them over ssh and through Ansible; the fixture powers them off and removes them whatever happens.
The asinfo tests build a cluster folder by hand and hold the node locks in this process, which is
what a running asd does, to check each version band's exact strings quickly.
"""

from __future__ import absolute_import, division, print_function

import fcntl
import importlib.util
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(ROOT, 'sim')


def _load(name, filename):
    # By path and under another name: this test package is itself called "fleet".
    spec = importlib.util.spec_from_file_location(name, os.path.join(SIM, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fleet = _load('fleet_sim', 'fleet.py')
asinfo_sim = _load('asinfo_sim', 'asinfo.py')

ASINFO = os.path.join(SIM, 'asinfo.py')
REBOOT = os.path.join(SIM, 'fleet-reboot')
VENV = os.path.join(ROOT, '.venv', 'bin')
PYTHON = os.path.join(VENV, 'python')
MIGRATION_SECONDS = 3.0
CONNECT_ERROR = "ERROR: Not able to connect any cluster with ('localhost', 3000, None)."
STABLE = 'cluster-stable:size=%d;ignore-migrations=false;namespace=test'
MEASURED = {}


def _free_base_port(count):
    """A base port with `count` free ports after it, away from the default 2221 of a user's fleet."""
    # Start at a pid-dependent place, so that two test sessions at once rarely try the same ports.
    first = 24000 + (os.getpid() % 60) * 97
    for base in list(range(first, 30000, 97)) + list(range(24000, first, 97)):
        ok = True
        for port in range(base, base + count):
            sock = socket.socket()
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                ok = False
            finally:
                sock.close()
        if ok:
            return base
    raise RuntimeError('no free ports on 127.0.0.1 between 24000 and 30000')


def _wait(predicate, timeout, interval=0.1, what='condition'):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out after %s s waiting for %s' % (timeout, what))
        time.sleep(interval)


def _ansible_env():
    env = dict(os.environ)
    env.update({'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.venv', 'collections'),
                'ANSIBLE_HOST_KEY_CHECKING': 'False', 'ANSIBLE_DEPRECATION_WARNINGS': 'False',
                'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_LOCAL_TEMP': tempfile.gettempdir()})
    return env


# ----------------------------------------------------------------------------------------------
# the fleet

@pytest.fixture(scope='module')
def fleet_dir():
    """Two running hosts with namespace `test` and asd up; always powered off and removed."""
    if not shutil.which('sshd') and not os.path.exists(fleet.SSHD):
        pytest.skip('openssh-server is not installed (apt-get install -y openssh-server)')
    path = tempfile.mkdtemp(prefix='fleet-test-', dir='/var/tmp')
    try:
        started = time.time()
        fleet.up(path, hosts=2, base_port=_free_base_port(2), python=PYTHON, namespace='test', size=4 << 20,
                 stages=1, migration_seconds=MIGRATION_SECONDS, timeout=90)
        MEASURED['up_2_hosts_s'] = round(time.time() - started, 2)
        yield path
    finally:
        fleet.down(path, purge=True)
        sys.stdout.write('\nfleet figures: %s\n' % json.dumps(MEASURED, sort_keys=True))


def run(fleet_dir, host, command, timeout=60):
    return fleet.ssh(fleet_dir, host, command, timeout=timeout)


def asinfo(fleet_dir, host, request):
    proc = run(fleet_dir, host, "asinfo -v '%s'" % request)
    return proc.stdout.strip(), proc.returncode


def cluster_size(fleet_dir, host):
    out, rc = asinfo(fleet_dir, host, 'statistics')
    if rc != 0:
        return None
    return int(re.search(r'(?:^|;)cluster_size=(\d+)', out).group(1))


def stable(fleet_dir, host, size):
    out, rc = asinfo(fleet_dir, host, STABLE % size)
    return out if rc == 0 and re.match(r'^[0-9A-F]+$', out) else None


def boot_id(fleet_dir, host):
    proc = run(fleet_dir, host, 'cat /proc/sys/kernel/random/boot_id')
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def reboot_and_wait(fleet_dir, hosts):
    """Reboot hosts through sim/fleet-reboot; seconds until each answers ssh with a new boot id."""
    before = dict((host, boot_id(fleet_dir, host)) for host in hosts)
    started = time.time()
    for host in hosts:
        proc = run(fleet_dir, host, REBOOT)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    fleet.wait_ssh(fleet_dir, hosts, timeout=60, boot_ids=before)
    return before, time.time() - started


def test_ssh_reaches_each_host_as_its_own_machine(fleet_dir):
    for host in ('h1', 'h2'):
        proc = run(fleet_dir, host, 'hostname; cat /proc/1/comm; ls /etc/init.d; ls /etc/rc2.d; cat /run/boot_id')
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.split()
        assert lines[:5] == [host, 'sysvinit', 'aerospike', 'S01aerospike', boot_id(fleet_dir, host)]
    assert boot_id(fleet_dir, 'h1') != boot_id(fleet_dir, 'h2')
    rows = dict((row['host'], row) for row in fleet.status(fleet_dir))
    assert rows['h1']['up'] and rows['h2']['up'] and rows['h1']['asd_running'] and rows['h2']['asd_running']
    assert rows['h1']['boot_id'] == boot_id(fleet_dir, 'h1')


def test_each_host_has_its_own_shared_memory(fleet_dir):
    make = ("%s -c 'import sysv_ipc; sysv_ipc.SharedMemory(0x5EED0001, sysv_ipc.IPC_CREX, size=4096)' && "
            "ipcs -m | grep -ci 0x5eed0001" % PYTHON)
    proc = run(fleet_dir, 'h1', make)
    assert (proc.returncode, proc.stdout.strip()) == (0, '1'), proc.stderr
    proc = run(fleet_dir, 'h1', 'ipcs -m | grep -ci 0x5eed0001')
    assert proc.stdout.strip() == '1', 'a segment must outlive the ssh session that made it'
    proc = run(fleet_dir, 'h2', 'ipcs -m | grep -ci 0x5eed0001')
    assert proc.stdout.strip() == '0'
    local = subprocess.run(['ipcs', '-m'], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert '0x5eed0001' not in local
    run(fleet_dir, 'h1', 'ipcrm -M 0x5eed0001')


def test_ansible_ping_reaches_every_host(fleet_dir):
    proc = subprocess.run([os.path.join(VENV, 'ansible'), '-i', fleet.inventory(fleet_dir), 'all', '-m', 'ping'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=_ansible_env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count('"ping": "pong"') == 2, proc.stdout


def test_init_script_and_asinfo_follow_asd(fleet_dir):
    _wait(lambda: stable(fleet_dir, 'h1', 2), 30, what='a stable 2-node cluster')
    key_before = stable(fleet_dir, 'h1', 2)
    assert run(fleet_dir, 'h2', '/etc/init.d/aerospike status').returncode == 0
    proc = run(fleet_dir, 'h2', '/etc/init.d/aerospike stop')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert run(fleet_dir, 'h2', '/etc/init.d/aerospike status').returncode == 3
    assert run(fleet_dir, 'h2', '/etc/init.d/aerospike stop').returncode == 0, 'stop must be idempotent'
    assert asinfo(fleet_dir, 'h2', 'status') == (CONNECT_ERROR, 1)
    # The first reply after a membership change sees it and starts migrations: unstable first.
    assert asinfo(fleet_dir, 'h1', STABLE % 1) == ('ERROR::unstable-cluster', 1)
    assert cluster_size(fleet_dir, 'h1') == 1
    assert asinfo(fleet_dir, 'h1', STABLE % 2) == ('ERROR::cluster-not-specified-size', 1)
    key_alone = _wait(lambda: stable(fleet_dir, 'h1', 1), 3 * MIGRATION_SECONDS + 5, what='h1 alone and stable')
    assert key_alone != key_before
    log = run(fleet_dir, 'h2', 'tail -n 1 /var/log/aerospike/aerospike.log').stdout
    assert 'finished clean shutdown - exiting' in log

    proc = run(fleet_dir, 'h2', '/etc/init.d/aerospike start')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert run(fleet_dir, 'h2', '/etc/init.d/aerospike status').returncode == 0
    assert 'already running' in run(fleet_dir, 'h2', '/etc/init.d/aerospike start').stdout
    assert 'beginning warm restart' in run(fleet_dir, 'h2', 'tail -n 3 /var/log/aerospike/aerospike.log').stdout
    assert asinfo(fleet_dir, 'h2', STABLE % 2) == ('ERROR::unstable-cluster', 1)
    stats = asinfo(fleet_dir, 'h2', 'statistics')[0]
    assert int(re.search(r'migrate_partitions_remaining=(\d+)', stats).group(1)) > 0
    assert cluster_size(fleet_dir, 'h1') == 2 and cluster_size(fleet_dir, 'h2') == 2
    key_h1 = _wait(lambda: stable(fleet_dir, 'h1', 2), 3 * MIGRATION_SECONDS + 5, what='a stable cluster again')
    assert stable(fleet_dir, 'h2', 2) == key_h1 and key_h1 not in (key_before, key_alone)
    assert int(re.search(r'migrate_partitions_remaining=(\d+)', asinfo(fleet_dir, 'h2', 'statistics')[0]).group(1)) == 0


def test_quiesce_and_recluster_across_hosts(fleet_dir):
    _wait(lambda: stable(fleet_dir, 'h1', 2), 30, what='a stable cluster')
    assert asinfo(fleet_dir, 'h1', 'quiesce:') == ('ok', 0)
    ns = asinfo(fleet_dir, 'h1', 'namespace/test')[0]
    assert 'pending_quiesce=true' in ns and 'effective_is_quiesced=false' in ns
    replies = sorted(asinfo(fleet_dir, host, 'recluster:')[0] for host in ('h1', 'h2'))
    assert replies == ['ignored-by-non-principal', 'ok']
    assert 'effective_is_quiesced=true' in asinfo(fleet_dir, 'h1', 'namespace/test')[0]
    assert 'nodes_quiesced=1' in asinfo(fleet_dir, 'h2', 'namespace/test')[0]
    # A restart clears the quiesce, as asd keeps the flag in process memory.
    assert run(fleet_dir, 'h1', '/etc/init.d/aerospike restart').returncode == 0
    ns = asinfo(fleet_dir, 'h1', 'namespace/test')[0]
    assert 'pending_quiesce=false' in ns and 'effective_is_quiesced=false' in ns and 'nodes_quiesced=0' in ns
    _wait(lambda: stable(fleet_dir, 'h1', 2), 3 * MIGRATION_SECONDS + 5, what='a stable cluster')


def test_reboot_loses_shm_and_asd_starts_only_where_enabled(fleet_dir):
    _wait(lambda: stable(fleet_dir, 'h1', 2), 30, what='a stable cluster')
    proc = run(fleet_dir, 'h2', 'update-rc.d aerospike disable; ls /etc/rc2.d')
    assert proc.stdout.split() == ['K01aerospike'], proc.stdout + proc.stderr
    assert run(fleet_dir, 'h1', 'ls /etc/rc2.d').stdout.split() == ['S01aerospike']
    for host in ('h1', 'h2'):
        proc = run(fleet_dir, host, "%s -c 'import sysv_ipc; sysv_ipc.SharedMemory(0x5EED0002, sysv_ipc.IPC_CREX, "
                                    "size=4096)'" % PYTHON)
        assert proc.returncode == 0, proc.stderr
    boots = dict((row['host'], row['boot_count']) for row in fleet.status(fleet_dir))
    before, seconds = reboot_and_wait(fleet_dir, ['h1', 'h2'])
    MEASURED['reboot_2_hosts_s'] = round(seconds, 2)
    for host in ('h1', 'h2'):
        assert boot_id(fleet_dir, host) != before[host]
        assert run(fleet_dir, host, 'ipcs -m | grep -ci 0x5eed0002').stdout.strip() == '0', 'shm survived a reboot'
    rows = dict((row['host'], row) for row in fleet.status(fleet_dir))
    assert rows['h1']['boot_count'] == boots['h1'] + 1 and rows['h2']['boot_count'] == boots['h2'] + 1
    # h1 is enabled: its boot started asd, cold since the segments were lost with the old boot.
    _wait(lambda: run(fleet_dir, 'h1', '/etc/init.d/aerospike status').returncode == 0, 30, what='asd on h1')
    log = run(fleet_dir, 'h1', 'cat /var/log/aerospike/aerospike.log').stdout
    assert log.rstrip().splitlines()[-1].endswith('service ready: soon there will be cake!')
    assert 'beginning cold start' in log.split('Aerospike Enterprise Edition build')[-1]
    # h2 is disabled: nothing started it, and the old asd died with the old boot.
    assert run(fleet_dir, 'h2', '/etc/init.d/aerospike status').returncode == 3
    assert asinfo(fleet_dir, 'h2', 'status') == (CONNECT_ERROR, 1)
    with open(os.path.join(fleet_dir, 'hosts', 'h2', 'boot.log')) as handle:
        assert 'S01aerospike' not in handle.read()
    assert cluster_size(fleet_dir, 'h1') == 1
    # Back to the fleet's normal state for whatever runs next.
    assert run(fleet_dir, 'h2', 'update-rc.d aerospike enable && /etc/init.d/aerospike start').returncode == 0
    assert run(fleet_dir, 'h2', 'ls /etc/rc2.d').stdout.split() == ['S01aerospike']


def test_ansible_reboot_module(fleet_dir):
    before = boot_id(fleet_dir, 'h2')
    started = time.time()
    proc = subprocess.run(
        [os.path.join(VENV, 'ansible'), '-i', fleet.inventory(fleet_dir), 'h2', '-m', 'ansible.builtin.reboot',
         '-a', 'reboot_command=%s connect_timeout=5' % REBOOT],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=_ansible_env(), timeout=180,
        check=False)
    MEASURED['ansible_reboot_1_host_s'] = round(time.time() - started, 2)
    assert proc.returncode == 0, proc.stdout
    assert '"rebooted": true' in proc.stdout, proc.stdout
    assert boot_id(fleet_dir, 'h2') != before
    # Enabled again by the previous test (or never disabled): asd came back at boot.
    _wait(lambda: run(fleet_dir, 'h2', '/etc/init.d/aerospike status').returncode == 0, 30, what='asd on h2')


# ----------------------------------------------------------------------------------------------
# asinfo alone: a hand-made cluster folder, node locks held by this process

class FakeCluster(object):
    """Nodes that look running to asinfo: a held lock and a ready json, as asd_sim writes them."""

    def __init__(self, path):
        self.path = path
        self.locks = {}
        os.makedirs(os.path.join(path, 'nodes'))
        with open(os.path.join(path, 'config.json'), 'w') as handle:
            json.dump({'migration_seconds': 0}, handle)

    def node(self, node_id, build='7.1.0.0', namespaces=('test',), **extra):
        handle = open(os.path.join(self.path, 'nodes', node_id + '.lock'), 'a')
        fcntl.flock(handle, fcntl.LOCK_EX)
        self.locks[node_id] = handle
        info = {'node_id': node_id, 'pid': 1000 + len(self.locks), 'started_at': time.time() - 5,
                'namespaces': list(namespaces), 'build': build, 'ready': True, 'running': True}
        info.update(extra)
        with open(os.path.join(self.path, 'nodes', node_id + '.json'), 'w') as out:
            json.dump(info, out)

    def stop(self, node_id):
        self.locks.pop(node_id).close()

    def asinfo(self, node_id, *args, **env):
        """asinfo's stdout and exit code; in this process (fast) unless process=True."""
        full = dict(os.environ, ASD_SIM_CLUSTER_DIR=self.path, ASD_SIM_NODE_ID=node_id)
        full.pop('ASD_SIM_MIGRATION_SECONDS', None)
        process = env.pop('process', False)
        full.update(env)
        if process:
            proc = subprocess.run([sys.executable, ASINFO] + list(args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True, env=full, timeout=30, check=False)
            assert proc.stderr == ''
            return proc.stdout, proc.returncode
        saved = dict(os.environ)
        out = io.StringIO()
        try:
            os.environ.clear()
            os.environ.update(full)
            rc = asinfo_sim.main(list(args), out=out)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return out.getvalue(), rc

    def close(self):
        for handle in self.locks.values():
            handle.close()


@pytest.fixture
def cluster(tmp_path):
    fake = FakeCluster(str(tmp_path / 'cluster'))
    yield fake
    fake.close()


@pytest.mark.parametrize('build, request_, expected', [
    ('7.0.0.3', 'cluster-stable:size=3', ('ERROR::cluster-not-specified-size\n', 1)),
    ('7.2.0.1', 'cluster-stable:size=3', ('ERROR:7:cluster not specified size\n', 1)),
    ('7.0.0.3', 'cluster-stable:size=1000', ('ERROR::bad-size\n', 1)),
    ('7.2.0.1', 'cluster-stable:size=1000', ("ERROR:4:'size' value too long\n", 1)),
    ('7.2.0.1', 'cluster-stable:size=x', ('ERROR:4:bad size\n', 1)),
    ('7.0.0.3', 'cluster-stable:size=', ('ERROR::cluster-not-specified-size\n', 1)),
    ('7.2.0.1', 'cluster-stable:size=', ("ERROR:4:missing 'size' value\n", 1)),
    ('7.0.0.3', 'cluster-stable:ignore-migrations=no', (None, 0)),
    ('7.2.0.1', 'cluster-stable:ignore-migrations=no', ('ERROR:4:bad ignore migrations\n', 1)),
    ('7.1.0.0', 'cluster-stable:ignore-migrations=maybe', ('ERROR::bad-ignore-migrations\n', 1)),
    ('7.2.0.1', 'cluster-stable:ignore-migrations=falsey', ("ERROR:4:'ignore-migrations' value too long\n", 1)),
    ('7.0.0.3', 'cluster-stable:namespace=bar', ('ERROR::unknown-namespace\n', 1)),
    ('7.2.0.1', 'cluster-stable:namespace=bar', ('ERROR:20:namespace not found on node\n', 1)),
    ('7.2.0.1', 'cluster-stable:namespace=', ("ERROR:20:missing 'namespace' value\n", 1)),
    ('7.0.0.3', 'cluster-stable:namespace=' + 'n' * 32, ('ERROR::bad-namespace\n', 1)),
    ('7.0.0.3', 'quiesce', ("Error: Invalid command 'quiesce'\n", 1)),
    ('7.0.0.3', 'statistics:', ("Error: Invalid command 'statistics:'\n", 1)),
    ('7.0.0.3', 'bogus', ("Error: Invalid command 'bogus'\n", 1)),
    ('7.1.0.0', 'bogus', ('ERROR:4:unrecognized command\n', 1)),
    ('7.1.0.0', 'quiesce', ('ok\n', 0)),
    ('7.2.0.1', 'namespace/bar', ('type=unknown\n', 0)),
    ('6.4.0.2', 'build', ('6.4.0.2\n', 0)),
    ('7.1.0.0', 'status', ('ok\n', 0)),
    ('7.1.0.0', 'namespaces', ('test\n', 0)),
])
def test_asinfo_replies_per_version(cluster, build, request_, expected):
    cluster.node('h1', build=build)
    out, rc = cluster.asinfo('h1', '-v', request_)
    if expected[0] is None:  # the cluster key
        assert re.match(r'^[0-9A-F]+\n$', out) and rc == expected[1], (out, rc)
    else:
        assert (out, rc) == expected


def test_asinfo_output_shaping_and_errors(cluster):
    cluster.node('h1', build='7.2.0.1')
    cluster.node('h2', build='7.2.0.1', edition='community')
    out, rc = cluster.asinfo('h1', '-h', '127.0.0.1', '-p', '3000', '-l', '-v', 'stats', process=True)
    lines = out.splitlines()
    assert rc == 0 and lines[0] == 'cluster_size=2' and all('=' in line for line in lines)
    assert cluster.asinfo('h2', '-v', 'quiesce:') == ('ERROR:25:enterprise only\n', 1)
    assert 'index-type=mem' in cluster.asinfo('h2', '-v', 'namespace/test')[0]
    key = cluster.asinfo('h1', '-v', 'cluster-stable:size=2;ignore-migrations=false')[0]
    assert cluster.asinfo('h2', '-v', 'cluster-stable:size=2')[0] == key
    assert 'cluster_key=' + key.strip() in cluster.asinfo('h1', '-v', 'statistics')[0]
    out, rc = cluster.asinfo('h1', '-v', 'latencies:', '-l')
    assert rc == 0 and out.splitlines()[:2] == ['batch-index:', '{test}-read:']
    cluster.stop('h2')
    assert cluster.asinfo('h2', '-v', 'status', process=True) == (CONNECT_ERROR + '\n', 1)
    assert cluster.asinfo('h2', '-h', '10.0.0.9:3100', '-v', 'status') == (
        "ERROR: Not able to connect any cluster with ('10.0.0.9', 3100, None).\n", 1)
    assert cluster.asinfo('h1', '-v', 'cluster-stable:size=1')[0] != key


def test_asinfo_migrations_window(cluster):
    cluster.node('h1', build='7.2.0.1')
    out, rc = cluster.asinfo('h1', '-v', 'cluster-stable:', ASD_SIM_MIGRATION_SECONDS='30')
    assert (out, rc) == ('ERROR:7:unstable cluster\n', 1)
    assert cluster.asinfo('h1', '-v', 'cluster-stable:ignore-migrations=true', ASD_SIM_MIGRATION_SECONDS='30')[1] == 0
    ns = cluster.asinfo('h1', '-v', 'namespace/test', ASD_SIM_MIGRATION_SECONDS='30')[0]
    assert int(re.search(r'migrate_tx_partitions_remaining=(\d+)', ns).group(1)) > 0
    assert cluster.asinfo('h1', '-v', 'cluster-stable:')[1] == 0
    assert cluster.asinfo('h1', '-v', 'recluster:') == ('ok\n', 0)


def test_asinfo_prints_like_the_cli():
    assert asinfo_sim.shape(';a=1;b=2; \n') == ('a=1;b=2', 0)
    assert asinfo_sim.shape('ERROR') == ('ERROR', 0), 'a bare ERROR (recluster declined, 5.0-7.1) exits 0'
    assert asinfo_sim.shape('ERROR::unknown') == ('ERROR::unknown', 1)
    assert asinfo_sim.shape('ignored-by-non-principal') == ('ignored-by-non-principal', 0)
    assert asinfo_sim.shape('12,3000,[[A,,[10.0.0.3]]]', lines=True)[0] == '12\n3000\n[[A\n\n[10.0.0.3]]]'
    assert asinfo_sim.shape('{test}-read:msec,1.0;{test}-write:', lines=True)[0] == '{test}-read:msec,1.0\n{test}-write:'
