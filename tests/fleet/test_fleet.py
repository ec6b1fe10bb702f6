# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet (sim/fleet.py: real Debian 12 hosts under systemd-nspawn) and the fake asinfo.

The fleet tests boot two hosts under /var/tmp (one fleet for the whole module) and talk to them
over ssh, through Ansible and through nsenter; the fixture powers them off and removes them
whatever happens. The root file system cache is built once per machine (about a minute) if it is
missing. The apt-sources and asinfo tests need no fleet: the asinfo ones build a cluster folder by
hand and hold the node locks in this process, which is what a running asd does.
"""

from __future__ import absolute_import, division, print_function

import importlib.util
import json
import os
import re
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
_spec = importlib.util.spec_from_file_location('fake_cluster', os.path.join(ROOT, 'tests', 'sim', 'fake_cluster.py'))
fake_cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_cluster)
FakeCluster = fake_cluster.FakeCluster

ASINFO = os.path.join(SIM, 'asinfo.py')
VENV = os.path.join(ROOT, '.venv', 'bin')
MIGRATION_SECONDS = 3.0
CONNECT_ERROR = "ERROR: Not able to connect any cluster with ('localhost', 3000, None)."
STABLE = 'cluster-stable:size=%d;ignore-migrations=false;namespace=test'
CLEAN_SHUTDOWN = 'finished clean shutdown - exiting'
MEASURED = {}
# Every pid the fleet recorded during the session (supervisors, nspawns, the hosts' systemd),
# so the last test can check that none of them outlived `down`.
SEEN_PIDS = set()


# ----------------------------------------------------------------------------------------------
# the Debian mirror and the cache, without a fleet

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def _sources(tmp_path, files):
    folder = tmp_path / 'sources.list.d'
    folder.mkdir()
    main_list = tmp_path / 'sources.list'
    for name, text in files.items():
        (tmp_path / name if name == 'sources.list' else folder / name).write_text(text)
    return str(folder), str(main_list)


def test_mirror_comes_from_the_deb822_stanza_of_the_suite(tmp_path):
    sources = _sources(tmp_path, {
        'a-third-party.sources': 'Types: deb\nURIs: https://packages.example/apt\nSuites: cloud-sdk-bookworm\n',
        'b-off.sources': 'Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n',
        'c-src.sources': 'Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n',
        'debian.sources': DEB822,
        'nodesource.sources.disabled-by-farm': 'Types: deb\nURIs: http://x.example/\nSuites: bookworm\n',
        'sources.list': 'deb http://later.example/debian bookworm main\n'})
    assert fleet.apt_mirror(sources) == 'http://mirror.example/debian'
    assert fleet.apt_mirror(sources, suite='bookworm-security') == 'http://mirror.example/debian-security'
    assert fleet.apt_mirror(sources, suite='trixie') is None


def test_mirror_from_one_line_sources(tmp_path):
    sources = _sources(tmp_path, {
        'sources.list': ('# deb http://commented.example/debian bookworm main\n'
                         'deb-src http://src.example/debian bookworm main\n'
                         'deb http://security.example/debian-security bookworm-security main\n'
                         'deb [ arch=amd64 signed-by=/k.gpg ] http://opts.example/debian bookworm main contrib\n'),
        'google.list': 'deb https://packages.example/apt cloud-sdk-bookworm main\n'})
    assert fleet.apt_mirror(sources) == 'http://opts.example/debian'
    second = tmp_path / 'second'
    second.mkdir()
    sources = _sources(second, {
        'extra.list': 'deb [arch=amd64] http://list.example/debian bookworm main\n'})
    assert fleet.apt_mirror(sources) == 'http://list.example/debian'


def test_cache_is_built_from_the_mirror_beside_its_place_and_renamed(tmp_path, monkeypatch):
    """debootstrap gets this machine's mirror; the cache appears complete or not at all."""
    calls = []

    def fake_debootstrap(target, mirror, log_path):
        calls.append((os.path.dirname(target), mirror))
        for folder in ('etc/ssh', 'etc/systemd/system/getty.target.wants', 'var/lib/dbus'):
            os.makedirs(os.path.join(target, folder))
        for name in ('etc/machine-id', 'var/lib/dbus/machine-id', 'etc/ssh/ssh_host_rsa_key'):
            with open(os.path.join(target, name), 'w') as handle:
                handle.write('0b1fe12a5a2b4b0490cf2164cc49c683\n')

    monkeypatch.setattr(fleet, 'APT_SOURCES', _sources(tmp_path, {'debian.sources': DEB822}))
    monkeypatch.setattr(fleet, '_debootstrap', fake_debootstrap)
    monkeypatch.setattr(fleet, 'ensure_tools', lambda: None)
    cache_dir = str(tmp_path / 'cache')
    os.makedirs(os.path.join(cache_dir, '.build-interrupted'))
    path, seconds = fleet.rootfs(cache_dir)
    assert calls == [(cache_dir, 'http://mirror.example/debian')] and seconds is not None
    assert path == fleet.rootfs_path(cache_dir) and os.path.basename(path).startswith('rootfs-bookworm-')
    assert sorted(os.listdir(cache_dir)) == ['.lock', os.path.basename(path)], 'the stale build must be gone'
    assert open(os.path.join(path, 'etc/machine-id')).read() == ''
    assert not os.path.exists(os.path.join(path, 'var/lib/dbus/machine-id'))
    assert not any(name.startswith('ssh_host_') for name in os.listdir(os.path.join(path, 'etc/ssh')))
    assert os.readlink(os.path.join(path, 'etc/systemd/system/console-getty.service')) == '/dev/null'
    assert fleet.rootfs(cache_dir) == (path, None) and len(calls) == 1, 'a complete cache is reused'
    monkeypatch.setattr(fleet, 'PACKAGES', fleet.PACKAGES + ('less',))
    assert fleet.rootfs_path(cache_dir) != path, 'another package list is another cache'


def test_cache_needs_a_mirror(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet, 'APT_SOURCES', _sources(tmp_path, {}))
    monkeypatch.setattr(fleet, 'ensure_tools', lambda: None)
    with pytest.raises(fleet.FleetError, match='no Debian bookworm mirror'):
        fleet.rootfs(str(tmp_path / 'cache'))
    assert [name for name in os.listdir(str(tmp_path / 'cache')) if name != '.lock'] == []


# ----------------------------------------------------------------------------------------------
# the fleet

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


def _ansible(fleet_dir, pattern, *args):
    env = dict(os.environ)
    env.update({'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.venv', 'collections'),
                'ANSIBLE_HOST_KEY_CHECKING': 'False', 'ANSIBLE_DEPRECATION_WARNINGS': 'False',
                'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_LOCAL_TEMP': tempfile.gettempdir()})
    return subprocess.run([os.path.join(VENV, 'ansible'), '-i', fleet.inventory(fleet_dir), pattern] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
                          timeout=180, check=False)


def _note_pids(fleet_dir):
    for name in fleet.load(fleet_dir)['hosts']:
        hdir = fleet.host_dir(fleet_dir, name)
        boot = json.load(open(os.path.join(hdir, 'boot.json')))
        SEEN_PIDS.update(pid for pid in (boot['nspawn_pid'], boot['systemd_pid']) if pid)
        SEEN_PIDS.add(int(open(os.path.join(hdir, 'supervisor.pid')).read()))


def _fleet_path(prefix):
    """A new fleet folder under /var/tmp (not tmpfs), with the root file system cache built; skips unless root."""
    if os.geteuid() != 0 or not os.path.exists('/proc/sys/kernel/shmmni'):
        pytest.skip('the fleet needs root')
    fleet.rootfs()  # built outside the timings when missing (about a minute, once)
    return tempfile.mkdtemp(prefix=prefix, dir='/var/tmp')


@pytest.fixture(scope='module')
def fleet_dir():
    """Two running hosts with namespace `test` and asd up; always powered off and removed."""
    path = _fleet_path('fleet-test-')
    try:
        started = time.time()
        fleet.up(path, hosts=2, base_port=_free_base_port(2), namespace='test', size=4 << 20, stages=1,
                 migration_seconds=MIGRATION_SECONDS, timeout=90)
        MEASURED['up_2_hosts_s'] = round(time.time() - started, 2)
        _note_pids(path)
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


def asd_journal(fleet_dir, host):
    return run(fleet_dir, host, 'journalctl -u aerospike -b --no-pager -o cat').stdout


def rows(fleet_dir):
    return dict((row['host'], row) for row in fleet.status(fleet_dir))


def test_hosts_boot_to_running_with_ssh_on_their_own_ports(fleet_dir):
    status = rows(fleet_dir)
    assert sorted(status) == ['h1', 'h2']
    ports = [status[host]['port'] for host in ('h1', 'h2')]
    assert ports[1] == ports[0] + 1
    for host, port in zip(('h1', 'h2'), ports):
        row = status[host]
        assert (row['state'], row['up'], row['boot_count'], row['asd_running']) == ('running', True, 1, True), row
        proc = run(fleet_dir, host, 'hostname; cat /proc/1/comm; systemctl is-system-running; ss -ltnpH')
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[:3] == [host, 'systemd', 'running']
        assert any('127.0.0.1:%d ' % port in line and 'sshd' in line for line in lines[3:]), proc.stdout
        assert row['boot_id'] == boot_id(fleet_dir, host)
    with open('/proc/sys/kernel/random/boot_id') as handle:
        assert handle.read().strip() not in (status['h1']['boot_id'], status['h2']['boot_id'])
    assert status['h1']['boot_id'] != status['h2']['boot_id']


def test_each_host_has_its_own_shared_memory_and_shm_limits(fleet_dir):
    # shmget(0x5EED0001, 4096, IPC_CREAT | 0600) through ctypes: the hosts' python3 has no sysv_ipc.
    make = ('python3 -c "import ctypes; print(ctypes.CDLL(None).shmget(0x5EED0001, 4096, 0o1600) >= 0)"'
            ' && ipcs -m | grep -ci 0x5eed0001')
    proc = run(fleet_dir, 'h1', make)
    assert (proc.returncode, proc.stdout.split()) == (0, ['True', '1']), proc.stderr
    assert run(fleet_dir, 'h1', 'ipcs -m | grep -ci 0x5eed0001').stdout.strip() == '1', \
        'a segment must outlive the ssh session that made it'
    assert run(fleet_dir, 'h2', 'ipcs -m | grep -ci 0x5eed0001').stdout.strip() == '0'
    local = subprocess.run(['ipcs', '-m'], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert '0x5eed0001' not in local
    run(fleet_dir, 'h1', 'ipcrm -M 0x5eed0001')
    # kernel.shm* belong to the IPC namespace: writable in a host (API VFS writable), per host.
    before = run(fleet_dir, 'h2', 'sysctl -n kernel.shmmni').stdout.strip()
    proc = run(fleet_dir, 'h1', 'sysctl -w kernel.shmmni=8192 && sysctl -n kernel.shmmni')
    assert (proc.returncode, proc.stdout.split()[-1]) == (0, '8192'), proc.stdout + proc.stderr
    assert run(fleet_dir, 'h2', 'sysctl -n kernel.shmmni').stdout.strip() == before
    with open('/proc/sys/kernel/shmmni') as handle:
        assert handle.read().strip() == before


def test_hosts_python_is_debian_s_without_sysv_ipc(fleet_dir):
    proc = run(fleet_dir, 'h1', "/usr/bin/python3 -c 'import sysv_ipc'")
    assert proc.returncode == 1 and "No module named 'sysv_ipc'" in proc.stderr, proc.stderr
    assert run(fleet_dir, 'h1', '/usr/bin/python3 -V').stdout.startswith('Python 3.11')


def test_ansible_ping_reaches_every_host(fleet_dir):
    proc = _ansible(fleet_dir, 'all', '-m', 'ping')
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count('"ping": "pong"') == 2, proc.stdout


def test_asd_runs_as_aerospike_service_and_asinfo_follows_it(fleet_dir):
    _wait(lambda: stable(fleet_dir, 'h1', 2), 30, what='a stable 2-node cluster')
    key_before = stable(fleet_dir, 'h1', 2)
    assert run(fleet_dir, 'h2', 'systemctl is-active aerospike').stdout.strip() == 'active'
    assert asinfo(fleet_dir, 'h2', 'status') == ('ok', 0)
    proc = run(fleet_dir, 'h2', 'systemctl stop aerospike; systemctl show -p Result -p ActiveState aerospike')
    assert sorted(proc.stdout.split()) == ['ActiveState=inactive', 'Result=success'], proc.stdout + proc.stderr
    assert CLEAN_SHUTDOWN in asd_journal(fleet_dir, 'h2')
    assert asinfo(fleet_dir, 'h2', 'status') == (CONNECT_ERROR, 1)
    # The first reply after a membership change sees it and starts migrations: unstable first.
    assert asinfo(fleet_dir, 'h1', STABLE % 1) == ('ERROR::unstable-cluster', 1)
    assert cluster_size(fleet_dir, 'h1') == 1
    assert asinfo(fleet_dir, 'h1', STABLE % 2) == ('ERROR::cluster-not-specified-size', 1)
    key_alone = _wait(lambda: stable(fleet_dir, 'h1', 1), 3 * MIGRATION_SECONDS + 5, what='h1 alone and stable')
    assert key_alone != key_before

    proc = run(fleet_dir, 'h2', 'systemctl start aerospike && systemctl is-active aerospike')
    assert (proc.returncode, proc.stdout.strip()) == (0, 'active'), proc.stdout + proc.stderr
    _wait(lambda: asinfo(fleet_dir, 'h2', 'status') == ('ok', 0), 30, what='asd on h2 to answer')
    assert 'beginning warm restart' in asd_journal(fleet_dir, 'h2').split(CLEAN_SHUTDOWN)[-1]
    assert cluster_size(fleet_dir, 'h1') == 2 and cluster_size(fleet_dir, 'h2') == 2
    key_h1 = _wait(lambda: stable(fleet_dir, 'h1', 2), 3 * MIGRATION_SECONDS + 5, what='a stable cluster again')
    assert stable(fleet_dir, 'h2', 2) == key_h1 and key_h1 not in (key_before, key_alone)


def _asd_info(fleet_dir, host):
    proc = _ansible(fleet_dir, host, '-m', 'fastrestart.aerospike.asd_info', '-a', 'namespaces=test')
    assert proc.returncode == 0, proc.stdout
    return json.loads(proc.stdout.split('=>', 1)[1])


def test_asd_info_reads_the_journal_then_the_file_that_aerospike_conf_names(fleet_dir):
    """The module on a real host: systemd's view of the unit, warm and clean from the journal of
    this boot with the packaged console sink, and from the file once aerospike.conf names one."""
    _wait(lambda: stable(fleet_dir, 'h2', 2), 30, what='a stable 2-node cluster')
    info = _asd_info(fleet_dir, 'h2')
    assert (info['source'], info['path']) == ('journal', None)
    assert info['unit']['active_state'] == 'active' and info['unit']['cold_start_forced'] is False
    assert info['start']['kinds'] == {'test': 'warm'} and info['stop']['outcome'] == 'running'

    conf = '/etc/aerospike/aerospike.conf'
    log = '/var/log/aerospike/aerospike.log'
    to_file = "sed -i.orig 's|^\tconsole {|\tfile %s {|' %s && systemctl restart aerospike" % (log, conf)
    assert run(fleet_dir, 'h2', to_file).returncode == 0
    try:
        _wait(lambda: asinfo(fleet_dir, 'h2', 'status') == ('ok', 0), 30, what='asd on h2 to answer')
        info = _asd_info(fleet_dir, 'h2')
        assert (info['source'], info['path']) == ('file', log)
        assert info['start']['kinds'] == {'test': 'warm'} and info['start']['ready']
        # The clean stop of the restart went to the journal, so the file shows none since its start.
        assert info['stop']['outcome'] == 'running'
    finally:
        run(fleet_dir, 'h2', 'mv %s.orig %s && systemctl restart aerospike' % (conf, conf))
    _wait(lambda: asinfo(fleet_dir, 'h2', 'status') == ('ok', 0), 30, what='asd on h2 to answer again')
    info = _asd_info(fleet_dir, 'h2')
    assert info['stop']['outcome'] == 'running' and info['start']['kinds'] == {'test': 'warm'}


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
    assert run(fleet_dir, 'h1', 'systemctl restart aerospike').returncode == 0
    _wait(lambda: asinfo(fleet_dir, 'h1', 'status') == ('ok', 0), 30, what='asd on h1 to answer')
    ns = asinfo(fleet_dir, 'h1', 'namespace/test')[0]
    assert 'pending_quiesce=false' in ns and 'effective_is_quiesced=false' in ns and 'nodes_quiesced=0' in ns
    _wait(lambda: stable(fleet_dir, 'h1', 2), 3 * MIGRATION_SECONDS + 5, what='a stable cluster')


def test_reboot_is_real_and_starts_asd_only_where_enabled(fleet_dir):
    """`systemctl reboot` inside: nspawn exits 133, the supervisor boots the host again."""
    _wait(lambda: stable(fleet_dir, 'h1', 2), 30, what='a stable cluster')
    assert run(fleet_dir, 'h2', 'systemctl disable --quiet aerospike').returncode == 0
    make = 'python3 -c "import ctypes; print(ctypes.CDLL(None).shmget(0x5EED0002, 4096, 0o1600) >= 0)"'
    for host in ('h1', 'h2'):
        assert run(fleet_dir, host, make).stdout.strip() == 'True'
    boots = dict((host, row['boot_count']) for host, row in rows(fleet_dir).items())
    before = dict((host, boot_id(fleet_dir, host)) for host in ('h1', 'h2'))
    started = time.time()
    for host in ('h1', 'h2'):
        run(fleet_dir, host, 'systemctl reboot')  # ssh may lose the connection: no status to check
    fleet.wait_ssh(fleet_dir, ['h1', 'h2'], timeout=60, boot_ids=before)
    MEASURED['reboot_2_hosts_to_ssh_s'] = round(time.time() - started, 2)
    _note_pids(fleet_dir)
    status = rows(fleet_dir)
    for host in ('h1', 'h2'):
        assert status[host]['boot_count'] == boots[host] + 1 and status[host]['boot_id'] != before[host]
        assert run(fleet_dir, host, 'ipcs -m | grep -ci 0x5eed0002').stdout.strip() == '0', 'shm survived a reboot'
        boots_listed = run(fleet_dir, host, 'journalctl --list-boots --no-pager | tail -n +2').stdout.splitlines()
        assert len(boots_listed) == status[host]['boot_count'], boots_listed
        assert before[host].replace('-', '') in boots_listed[-2]
    with open(os.path.join(fleet_dir, 'hosts', 'h1', 'console.log')) as handle:
        assert 'boot 1 of h1 ended with status 133' in handle.read()
    # h1 is enabled: its boot started asd, cold since the segments were lost with the old boot.
    _wait(lambda: asinfo(fleet_dir, 'h1', 'status') == ('ok', 0), 30, what='asd on h1')
    assert 'beginning cold start' in asd_journal(fleet_dir, 'h1')
    # h2 is disabled: nothing started it, and the old asd died with the old boot.
    assert run(fleet_dir, 'h2', 'systemctl is-active aerospike').stdout.strip() == 'inactive'
    assert asinfo(fleet_dir, 'h2', 'status') == (CONNECT_ERROR, 1)
    assert cluster_size(fleet_dir, 'h1') == 1
    # Back to the fleet's normal state for whatever runs next.
    assert run(fleet_dir, 'h2', 'systemctl enable --now --quiet aerospike').returncode == 0


def test_ansible_reboot_module_with_its_defaults(fleet_dir):
    before = boot_id(fleet_dir, 'h2')
    started = time.time()
    proc = _ansible(fleet_dir, 'h2', '-m', 'ansible.builtin.reboot')
    MEASURED['ansible_reboot_1_host_s'] = round(time.time() - started, 2)
    assert proc.returncode == 0, proc.stdout
    assert '"rebooted": true' in proc.stdout, proc.stdout
    assert boot_id(fleet_dir, 'h2') != before
    _note_pids(fleet_dir)
    # Enabled again by the previous test: asd came back at boot.
    _wait(lambda: asinfo(fleet_dir, 'h2', 'status') == ('ok', 0), 30, what='asd on h2')


def test_poweroff_inside_stops_the_host_and_its_supervisor(fleet_dir):
    _note_pids(fleet_dir)
    supervisor = rows(fleet_dir)['h2']['supervisor_pid']
    assert supervisor
    run(fleet_dir, 'h2', 'systemctl poweroff')
    _wait(lambda: not fleet._alive(supervisor), 30, what='the supervisor of h2 to end')
    row = rows(fleet_dir)['h2']
    assert (row['state'], row['up'], row['asd_running'], row['systemd_pid']) == ('off', False, False, None)
    with open(os.path.join(fleet_dir, 'hosts', 'h2', 'console.log')) as handle:
        assert handle.read().rstrip().endswith('ended with status 0')
    assert rows(fleet_dir)['h1']['up']


def test_down_leaves_no_process_of_the_fleet(fleet_dir):
    _note_pids(fleet_dir)
    started = time.time()
    fleet.down(fleet_dir)
    MEASURED['down_s'] = round(time.time() - started, 2)
    assert len(SEEN_PIDS) >= 3 * 2 + 2 * 2, SEEN_PIDS  # the first boots and at least two reboots
    assert [pid for pid in SEEN_PIDS if fleet._alive(pid)] == []
    assert [row['state'] for row in fleet.status(fleet_dir)] == ['off', 'off']


# ----------------------------------------------------------------------------------------------
# a rack-aware fleet: 3 racks of 1 host, strong consistency, two namespaces with their own rack maps

RACK_PORTS = range(2600, 2700)  # this test's own range: other suites boot fleets elsewhere


def _rack_base_port(count):
    for base in range(RACK_PORTS[0], RACK_PORTS[-1] - count + 2):
        if all(fleet._port_free(port) for port in range(base, base + count)):
            return base
    raise RuntimeError('no %d free ports on 127.0.0.1 in %d-%d' % (count, RACK_PORTS[0], RACK_PORTS[-1]))


def test_rack_fleet_answers_racks_and_roster_over_ssh_and_the_watcher_sees_a_rack_out():
    path = _fleet_path('fleet-3r-')
    try:
        started = time.time()
        fleet.up(path, hosts=3, base_port=_rack_base_port(3), namespace=['test', 'bar'], size=1 << 20, stages=1,
                 migration_seconds=1, timeout=90, racks=3, strong_consistency=True, rack_ids={'bar': [1, 1, 2]})
        MEASURED['up_3_racks_s'] = round(time.time() - started, 2)
        with open(fleet.inventory(path)) as handle:
            assert 'rack' not in handle.read()  # the role must learn racks from the cluster
        node = dict((host, asinfo(path, host, 'node')[0]) for host in ('h1', 'h2', 'h3'))
        test = 'rack_1=%s:rack_2=%s:rack_3=%s' % (node['h1'], node['h2'], node['h3'])
        other = 'rack_1=%s:rack_2=%s' % (','.join(sorted([node['h1'], node['h2']])), node['h3'])
        expected = 'ns=test:%s:roster_%s;ns=bar:%s:roster_%s' % (
            test, test.replace(':', ':roster_'), other, other.replace(':', ':roster_'))
        assert [asinfo(path, host, 'racks:') for host in ('h1', 'h2', 'h3')] == [(expected, 0)] * 3
        assert 'roster=null' not in asinfo(path, 'h2', 'roster:namespace=test')[0]
        _wait(lambda: all(stable(path, host, 3) for host in ('h1', 'h2', 'h3')), 30, what='a stable cluster')
        assert fleet.watch_start(path, 0.1)
        time.sleep(0.5)
        assert run(path, 'h3', 'systemctl stop aerospike').returncode == 0
        live = 'rack_1=%s:rack_2=%s:roster_' % (node['h1'], node['h2'])  # the roster keeps listing h3
        _wait(lambda: asinfo(path, 'h1', 'racks:namespace=test')[0].startswith(live), 20, what='h3 to leave')
        report = fleet.watch_stop(path)
        assert report['namespaces']['test']['min_copies'] == 1 and report['namespaces']['test']['live'] == ['h1', 'h2']
        assert report['namespaces']['bar']['replication_factor'] == 2
    finally:
        fleet.down(path, purge=True)


# ----------------------------------------------------------------------------------------------
# asinfo alone: a hand-made cluster folder, node locks held by this process

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
