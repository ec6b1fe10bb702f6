# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The asd simulator (sim/asd_sim.py), driven through its command line against real shared memory.

The session runs in a private IPC namespace (tests/conftest.py). Every test removes the daemons it
started (by pid) and every segment it made.
"""

from __future__ import absolute_import, division, print_function

import fcntl
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib

import pytest
import sysv_ipc

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(ROOT, 'sim', 'asd_sim.py')
ASINFO = os.path.join(ROOT, 'sim', 'asinfo.py')
HOST = os.path.join(ROOT, 'sim', 'host')
HELPER = os.path.join(HOST, 'usr', 'bin', 'asd-systemd-helper')
MIB = 1 << 20
NO_SYSCONFIG = '/nonexistent/sysconfig/aerospike'  # keeps a machine's own /etc/sysconfig/aerospike out


def segments():
    """{key: dict(shmid, mode, size, nattch, uid, gid)} straight from the kernel."""
    out = {}
    with open('/proc/sysvipc/shm') as handle:
        for line in handle.read().splitlines()[1:]:
            f = line.split()
            out[int(f[0]) & 0xFFFFFFFF] = {'shmid': int(f[1]), 'mode': int(f[2], 8) & 0o777, 'size': int(f[3]),
                                           'nattch': int(f[6]), 'uid': int(f[7]), 'gid': int(f[8])}
    return out


def read(key, size=None, offset=0):
    memory = sysv_ipc.SharedMemory(key)
    try:
        return memory.read(size or memory.size - offset, offset)
    finally:
        memory.detach()


def poke(key, offset, data):
    memory = sysv_ipc.SharedMemory(key)
    try:
        memory.write(data, offset)
    finally:
        memory.detach()


def base_fields(key):
    raw = read(key, 2156)
    version, shutdown = struct.unpack_from('<II', raw, 0)
    return version, shutdown, raw[1024:1056], struct.unpack_from('<I', raw, 2152)[0]


def read_text(path):
    with open(path) as handle:
        return handle.read()


def pid_alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] not in 'ZX'
    except IOError:
        return False


class Sim:
    """Runs asd_sim.py commands with one state directory and tracks what needs cleaning."""

    def __init__(self, state_dir):
        self.state_dir = str(state_dir)
        self.log = os.path.join(self.state_dir, 'aerospike.log')
        self.pids = set()
        self.python = [sys.executable]

    def env(self, **settings):
        """The environment without the caller's ASD_SIM_* settings, plus these."""
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ASD_SIM_'))
        env['ASD_SIM_SYSCONFIG'] = NO_SYSCONFIG
        env.update(settings)
        return env

    def run(self, *args, **kwargs):
        env = self.env()
        cmd = self.python + [SIM] + list(args) + ['--state-dir', self.state_dir]
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                timeout=kwargs.pop('timeout', 60), env=env, check=False)
        self._track()
        return result

    def ok(self, *args, **kwargs):
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def state(self, instance=0):
        with open(os.path.join(self.state_dir, 'instance-%d.json' % instance)) as handle:
            return json.load(handle)

    def _track(self):
        for name in os.listdir(self.state_dir) if os.path.isdir(self.state_dir) else ():
            if name.startswith('instance-') and name.endswith('.json'):
                with open(os.path.join(self.state_dir, name)) as handle:
                    daemon = json.load(handle).get('daemon') or {}
                if daemon.get('pid'):
                    self.pids.add(daemon['pid'])

    def log_text(self):
        return read_text(self.log)

    def cleanup(self):
        for pid in self.pids:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 10
        while any(pid_alive(pid) for pid in self.pids) and time.time() < deadline:
            time.sleep(0.02)
        for info in segments().values():
            try:
                sysv_ipc.remove_shared_memory(info['shmid'])
            except sysv_ipc.ExistentialError:
                pass


@pytest.fixture
def sim(tmp_path):
    helper = Sim(tmp_path / 'state')
    for info in segments().values():
        sysv_ipc.remove_shared_memory(info['shmid'])
    yield helper
    helper.cleanup()
    assert not segments(), 'segments left behind'


def create_small(sim, *extra):
    return sim.ok('create', '--namespace', 'test', '--size', '4M', '--stages', '2', '--seed', '11', *extra)


def test_create_leaves_what_a_clean_shutdown_leaves(sim):
    sim.ok('create', '--instance', '3', '--namespace', 'test', '--namespace', 'bar', '--size', '8M',
           '--stages', '2', '--sindex-stages', '1', '--stripes', '3', '--stripe-size', '64K', '--seed', '5')
    segs = segments()
    for nsid, name in ((1, b'test'), (2, b'bar')):
        keys = {0xAE300000 | nsid << 12, 0xAE300001 | nsid << 12, 0xAE300100 | nsid << 12, 0xAE300101 | nsid << 12,
                0xA2300000 | nsid << 12, 0xA2300100 | nsid << 12, 0xAD300000 | nsid << 12, 0xAD300001 | nsid << 12,
                0xAD300002 | nsid << 12}
        assert keys <= set(segs)
        base = 0xAE300000 | nsid << 12
        assert base_fields(base) == (12, 1, name + b'\0' * (32 - len(name)), 2)
        assert struct.unpack('<I', read(0xA2300000 | nsid << 12, 4, 20))[0] == 1
        assert read(0xAD300001 | nsid << 12, 32, 12) == name + b'\0' * (32 - len(name))
        assert segs[0xAE300100 | nsid << 12]['size'] == 4 * MIB
        assert segs[0xAD300002 | nsid << 12]['size'] == 64 << 10
    assert len(segs) == 18
    for info in segs.values():
        assert (info['nattch'], info['uid'], info['gid'], info['mode']) == (0, 0, 0, 0o666)
    state = sim.state(3)
    assert len(state['fingerprint']) == 18
    for hexkey, item in state['fingerprint'].items():
        assert item == {'size': segs[int(hexkey, 16)]['size'], 'crc': zlib.crc32(read(int(hexkey, 16)))}


def test_create_sets_owner_mode_and_version_and_refuses_existing_segments(sim):
    sim.ok('create', '--namespace', 'ns1', '--size', '1M', '--uid', '123', '--gid', '456', '--mode', '0640',
           '--version', '6.4.0.1')
    segs = segments()
    assert len(segs) == 3
    assert set((s['uid'], s['gid'], s['mode']) for s in segs.values()) == {(123, 456, 0o640)}
    assert base_fields(0xAE001000)[0] == 11
    again = sim.run('create', '--namespace', 'ns1', '--size', '1M')
    assert again.returncode == 1
    assert '0xae001000' in again.stderr and 'destroy' in again.stderr
    assert len(segments()) == 3


def test_stage_content_compresses_like_a_real_index(sim):
    create_small(sim)
    data = read(0xAE001100)
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31, 9)
    ratio = len(compressor.compress(data) + compressor.flush()) / float(len(data))
    assert 0.70 <= ratio <= 0.85
    records = [data[i:i + 64] for i in range(0, len(data), 64)]
    assert len(set(r[13:33] for r in records)) > 0.9 * len(records)  # digests look random


def test_warm_start_then_clean_stop(sim):
    create_small(sim)
    created = sim.state()['fingerprint']
    start = sim.ok('start')
    assert 'warm start' in start.stdout
    pid = sim.state()['daemon']['pid']
    assert pid_alive(pid)
    with open(os.path.join(sim.state_dir, 'asd-0.pid')) as handle:
        assert int(handle.read()) == pid
    assert all(s['nattch'] == 1 for s in segments().values())
    assert base_fields(0xAE001000)[1] == 0
    status = sim.run('status', '--json')
    assert status.returncode == 0
    info = json.loads(status.stdout)
    assert (info['running'], info['pid'], info['last_start']['kind'], info['segments']) == (True, pid, 'warm', 4)
    assert sim.run('status').stdout.startswith('asd instance 0 is running (pid %d)' % pid)
    assert sim.ok('verify').stdout.startswith('index intact: 4 segments')
    # start on a running server is a no-op, as for an LSB init script
    assert 'already running' in sim.ok('start').stdout

    stop = sim.ok('stop')
    assert 'clean' in stop.stdout
    assert not pid_alive(pid)
    assert all(s['nattch'] == 0 for s in segments().values())
    assert base_fields(0xAE001000)[1] == 1
    log = sim.log_text()
    assert 'INFO (as): (as.c:309) <><><><><><><><><><>  Aerospike Enterprise Edition build 7.1.0.0' in log
    assert 'INFO (namespace): (namespace_ee.c:361) {test} beginning warm restart' in log
    assert 'service ready: soon there will be cake!' in log
    assert 'INFO (as): (as.c:469) finished clean shutdown - exiting' in log
    first = log.splitlines()[0]
    assert first[:3] in ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
    assert ' GMT: INFO (as): ' in first
    assert not os.path.exists(os.path.join(sim.state_dir, 'asd-0.pid'))
    state = sim.state()
    assert state['fingerprint_source'] == 'clean-stop'
    assert state['fingerprint'] != created  # the simulated writes changed some records
    assert state['last_stop']['kind'] == 'clean'
    assert sim.run('status').returncode == 3
    assert sim.ok('verify').stdout.startswith('index intact: 4 segments')

    # the index survived, so the next start is warm again
    assert 'warm start' in sim.ok('start').stdout
    sim.ok('stop')


def test_missing_stage_means_cold_start_with_the_same_geometry(sim):
    create_small(sim)
    before = dict((k, v['size']) for k, v in segments().items())
    sysv_ipc.remove_shared_memory(segments()[0xAE001101]['shmid'])
    began = time.time()
    start = sim.ok('start', '--cold-rate', '40M')
    took = time.time() - began
    assert 'cold start' in start.stdout and 'segment 0xae001101 is missing' in start.stdout
    state = sim.state()
    assert state['last_start']['kind'] == 'cold'
    assert 'segment 0xae001101 is missing' in state['last_start']['reason']
    size = sum(before.values())
    assert took >= size / float(40 * MIB) * 0.9
    assert dict((k, v['size']) for k, v in segments().items()) == before
    assert all(s['nattch'] == 1 for s in segments().values())
    log = sim.log_text()
    assert '{test} segment 0xae001101 is missing - will cold start' in log
    assert 'INFO (namespace): (namespace_ee.c:394) {test} beginning cold start' in log
    assert 'beginning warm restart' not in log
    sim.ok('stop')
    assert 'warm start' in sim.ok('start').stdout
    sim.ok('stop')


def test_flipped_byte_is_detected_by_verify_and_forces_cold_start(sim):
    create_small(sim)
    poke(0xAE001100, 4096, bytes([read(0xAE001100, 1, 4096)[0] ^ 0x01]))
    verify = sim.run('verify')
    assert verify.returncode == 1
    assert 'segment 0xae001100 content differs' in verify.stdout
    start = sim.ok('start', '--cold-rate', '1G')
    assert 'cold start' in start.stdout and 'segment 0xae001100 content differs' in start.stdout
    sim.ok('stop')


def test_verify_names_missing_and_resized_segments(sim):
    create_small(sim, '--stripes', '1', '--stripe-size', '8K')
    sysv_ipc.remove_shared_memory(segments()[0xAD001000]['shmid'])
    verify = sim.run('verify')
    assert verify.returncode == 1
    assert verify.stdout.splitlines()[0] == 'segment 0xad001000 is missing'
    memory = sysv_ipc.SharedMemory(0xAD001000, sysv_ipc.IPC_CREX, 0o666, 4096)
    memory.detach()
    assert 'segment 0xad001000 has size 4096, expected 8192' in sim.run('verify').stdout
    verify = sim.run('verify', '--json')
    assert json.loads(verify.stdout)['ok'] is False


def test_unclean_shutdown_means_cold_start(sim):
    create_small(sim)
    sim.ok('start')
    pid = sim.state()['daemon']['pid']
    os.kill(pid, signal.SIGKILL)
    while pid_alive(pid):
        time.sleep(0.01)
    assert sim.run('status').returncode == 3
    assert 'not running' in sim.ok('stop').stdout
    assert base_fields(0xAE001000)[1] == 0
    assert sim.run('verify').returncode == 1
    start = sim.ok('start', '--cold-rate', '1G')
    assert 'shutdown flag is 0' in start.stdout
    sim.ok('stop')


def test_sigterm_before_startup_completes_is_not_a_clean_stop(sim):
    create_small(sim)
    proc = subprocess.Popen([sys.executable, SIM, 'start', '--cold-start', '--cold-rate', '1M', '--state-dir',
                             sim.state_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    deadline = time.time() + 20
    # The rebuild removes and makes the segments again after "beginning cold start"; the stop must
    # come in the slow part after it (cold rate 1M), where the rebuilt set exists with its flag 0.
    while 'rebuilt index' not in (sim.log_text() if os.path.exists(sim.log) else ''):
        assert time.time() < deadline
        time.sleep(0.02)
    sim._track()  # pylint: disable=protected-access
    stop = sim.ok('stop', '--timeout', '10')
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and 'before startup was complete' in err, (out, err)
    assert 'stopped' in stop.stdout
    assert 'WARNING (as): (signal.c:173) startup was not complete, exiting immediately' in sim.log_text()
    assert 'finished clean shutdown' not in sim.log_text()
    assert sim.state()['last_stop']['kind'] == 'startup-incomplete'
    assert base_fields(0xAE001000)[1] == 0
    start = sim.ok('start', '--cold-rate', '1G')
    assert 'cold start' in start.stdout
    sim.ok('stop')


def test_cluster_presence_follows_the_daemon(sim, tmp_path):
    create_small(sim)
    cluster = str(tmp_path / 'cluster')
    sim.ok('start', '--cluster-dir', cluster, '--node-id', 'BB9020011AC4202')
    pid = sim.state()['daemon']['pid']
    lock = os.path.join(cluster, 'nodes', 'BB9020011AC4202.lock')
    with open(os.path.join(cluster, 'nodes', 'BB9020011AC4202.json')) as handle:
        node = json.load(handle)
    assert (node['node_id'], node['pid'], node['ready'], node['start_kind'], node['namespaces'], node['build']) == (
        'BB9020011AC4202', pid, True, 'warm', ['test'], '7.1.0.0')
    with open(lock) as handle:
        with pytest.raises((IOError, OSError)):
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    sim.ok('stop')
    with open(lock) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(os.path.join(cluster, 'nodes', 'BB9020011AC4202.json')) as handle:
        assert json.load(handle)['ready'] is False


def test_foreground_start_and_environment_settings(sim, tmp_path):
    create_small(sim)
    log = str(tmp_path / 'asd.log')
    env = sim.env(ASD_SIM_STATE=sim.state_dir, ASD_SIM_LOG=log, ASD_SIM_COLD_RATE=str(1 << 30))
    proc = subprocess.Popen([sys.executable, SIM, 'start', '--foreground', '--cold-start'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while not (os.path.exists(log) and 'service ready' in read_text(log)):
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.02)
        assert sim.state()['daemon']['pid'] == proc.pid
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = read_text(log)
    assert '--cold-start requested' in text and 'finished clean shutdown - exiting' in text


def test_stop_without_daemon_and_destroy(sim):
    assert sim.run('stop').returncode == 0
    assert sim.run('status').returncode == 3  # nothing created: not running
    create_small(sim)
    assert 'not running' in sim.ok('stop').stdout
    sim.ok('start')
    refused = sim.run('destroy')
    assert refused.returncode == 1 and 'stop' in refused.stderr
    assert len(segments()) == 4
    sim.ok('stop')
    assert 'removed 4 segments' in sim.ok('destroy').stdout
    assert not segments()
    assert not os.path.exists(os.path.join(sim.state_dir, 'instance-0.json'))
    assert sim.run('start').returncode == 1


def test_index_put_back_byte_for_byte_restarts_warm(sim):
    # What a backup before a reboot and a restore after it must achieve: new segments, same bytes.
    create_small(sim, '--stripes', '1', '--stripe-size', '8K', '--sindex-stages', '1', '--uid', '7', '--mode', '0600')
    sim.ok('start')
    sim.ok('stop')
    saved = dict((key, (info, read(key))) for key, info in segments().items())
    for info in segments().values():
        sysv_ipc.remove_shared_memory(info['shmid'])
    for key, (info, data) in saved.items():
        memory = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, info['mode'], info['size'])
        memory.write(data)
        memory.uid = info['uid']
        memory.detach()
    assert set(s['shmid'] for s in segments().values()).isdisjoint(s[0]['shmid'] for s in saved.values())
    assert sim.ok('verify').stdout.startswith('index intact: 7 segments')
    start = sim.ok('start')
    assert 'warm start' in start.stdout
    # while running, verify compares with the fingerprint taken when startup completed
    assert sim.ok('verify').stdout.startswith('index intact: 7 segments')
    poke(0xA2001100, 100, b'\xff\x00\xff')
    verify = sim.run('verify')
    assert verify.returncode == 1 and 'segment 0xa2001100 content differs' in verify.stdout
    assert 'the fingerprint taken when asd started' in verify.stdout
    sim.ok('stop')


# ----------------------------------------------------------------------------------------------
# the host's asd: bare python3, Aerospike's command line under systemd, settings file, host files

def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bare_python():
    """Debian's /usr/bin/python3 as the hosts have it, without sysv_ipc (-S hides one installed here)."""
    if not os.path.exists('/usr/bin/python3'):
        pytest.skip('no /usr/bin/python3 on this machine')
    has = subprocess.run(['/usr/bin/python3', '-c', 'import sysv_ipc'], stderr=subprocess.DEVNULL, check=False)
    return ['/usr/bin/python3'] + (['-S'] if has.returncode == 0 else [])


def write(path, text):
    with open(str(path), 'w') as handle:
        handle.write(text)
    return str(path)


CONSOLE_CONF = 'logging {\n\tconsole {\n\t\tcontext any info\n\t}\n}\n'


class Asd:
    """``asd [options] --config-file F --fgdaemon`` in the foreground, as aerospike.service runs it."""

    def __init__(self, sim, conf, options=(), python=None, **env):
        self.sim = sim
        cmd = (python or [sys.executable]) + [SIM] + list(options) + ['--config-file', conf, '--fgdaemon']
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=sim.env(**env))
        self.out = b''

    def wait_for(self, text, timeout=20):
        """Read stdout (the journal's view) until text shows up; returns everything read so far."""
        deadline = time.time() + timeout
        while text.encode() not in self.out:
            assert time.time() < deadline and self.proc.poll() is None, (self.out, self.proc.stderr.read())
            if select.select([self.proc.stdout], [], [], 0.1)[0]:
                self.out += os.read(self.proc.stdout.fileno(), 65536)
        return self.out.decode()

    def finish(self, sig=signal.SIGTERM, timeout=20):
        """Signal asd, wait for it: (exit status, all its stdout, stderr)."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, (self.out + out).decode(), err.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def asd(sim):
    started = []

    def start(*args, **kwargs):
        started.append(Asd(sim, *args, **kwargs))
        return started[-1]
    yield start
    for item in started:
        item.kill()


def test_a_bare_python3_runs_asd_without_sysv_ipc(sim, tmp_path):
    sim.python = bare_python()
    assert subprocess.run(sim.python + ['-c', 'import sysv_ipc'], stderr=subprocess.DEVNULL,
                          check=False).returncode != 0
    create_small(sim, '--uid', '7', '--gid', '8', '--mode', '0640')  # shmctl IPC_SET through ctypes
    assert set((s['uid'], s['gid'], s['mode']) for s in segments().values()) == {(7, 8, 0o640)}
    assert 'warm start' in sim.ok('start').stdout
    assert sim.ok('verify').stdout.startswith('index intact: 4 segments')
    assert 'clean' in sim.ok('stop').stdout
    assert sim.ok('verify').stdout.startswith('index intact: 4 segments')
    # A host runs a verbatim copy as /usr/bin/asd: its first lines hand it to /usr/bin/python3.
    copy = str(tmp_path / 'asd')
    shutil.copy(SIM, copy)
    status = subprocess.run([copy, 'status', '--state-dir', sim.state_dir], stdout=subprocess.PIPE,
                            universal_newlines=True, env=sim.env(), check=False)
    assert status.returncode == 3 and 'last start: warm start' in status.stdout
    assert 'removed 4 segments' in sim.ok('destroy').stdout


def test_fgdaemon_logs_to_the_console_and_exits_0_on_sigterm(sim, asd, tmp_path):
    create_small(sim)
    conf = write(tmp_path / 'aerospike.conf', CONSOLE_CONF)
    server = asd(conf, ASD_SIM_STATE=sim.state_dir)
    out = server.wait_for('service ready: soon there will be cake!')
    pid = server.proc.pid
    assert sim.state()['daemon']['pid'] == pid  # no fork: the process systemd watches is asd
    assert read_text('/proc/%d/comm' % pid).strip() == 'asd'
    assert 'INFO (as): (as.c:309) <><><><><><><><><><>  Aerospike Enterprise Edition build 7.1.0.0' in out
    assert 'INFO (namespace): (namespace_ee.c:361) {test} beginning warm restart' in out
    assert 'already running' in sim.run('start').stdout
    again = subprocess.run([sys.executable, SIM, '--config-file', conf, '--fgdaemon'], stderr=subprocess.PIPE,
                           universal_newlines=True, env=sim.env(ASD_SIM_STATE=sim.state_dir), check=False)
    assert again.returncode == 1 and 'asd instance 0 is already running (pid %d)' % pid in again.stderr
    status, out, err = server.finish()
    assert status == 0, err
    assert out.rstrip().endswith('INFO (as): (as.c:469) finished clean shutdown - exiting')
    assert not os.path.exists(sim.log)  # the console sink writes no file
    assert sim.state()['last_stop']['kind'] == 'clean'
    assert sim.state()['daemon'] is None


def test_file_sink_and_cold_start_option(sim, asd, tmp_path):
    create_small(sim)
    log = str(tmp_path / 'log' / 'aerospike.log')
    conf = write(tmp_path / 'aerospike.conf', 'logging {\n    file %s {\n        context any info\n    }\n}\n' % log)
    server = asd(conf, options=['--cold-start'], ASD_SIM_STATE=sim.state_dir, ASD_SIM_COLD_RATE=str(1 << 30))
    deadline = time.time() + 20
    while not (os.path.exists(log) and 'service ready' in read_text(log)):
        assert time.time() < deadline and server.proc.poll() is None
        time.sleep(0.02)
    status, out, err = server.finish()
    assert (status, out) == (0, ''), err
    text = read_text(log)
    assert '{test} --cold-start requested - will cold start' in text and 'beginning cold start' in text
    assert 'finished clean shutdown - exiting' in text
    assert sim.state()['last_start']['kind'] == 'cold'


def test_config_log_sinks():
    module = load('asd_sim_for_test', SIM)
    conf = ('service {\n    proto-fd-max 15000\n}\n# logging { file /not/this { context any info } }\n'
            'logging {\n    file /var/log/aerospike/aerospike.log {\n        context any info\n    }\n'
            '    console {\n        context any info\n    }\n}\n'
            'namespace console {\n    file /not/a/sink {\n    }\n}\n')
    assert module.config_log_sinks(conf) == ['/var/log/aerospike/aerospike.log', module.CONSOLE]
    assert module.config_log_sinks('service {\n}\n') == [module.CONSOLE]
    with open(os.path.join(HOST, 'etc', 'aerospike', 'aerospike.conf')) as handle:
        assert module.config_log_sinks(handle.read()) == [module.CONSOLE]


def test_settings_file_serves_asd_and_asinfo(sim, asd, tmp_path):
    create_small(sim)
    cluster = str(tmp_path / 'cluster')
    sysconfig = write(tmp_path / 'sysconfig', (
        'ASD_CONFIG_FILE=/etc/aerospike/aerospike.conf\n#ASD_COLDSTART="--cold-start"\n\n'
        'ASD_SIM_STATE="%s"\nexport ASD_SIM_CLUSTER_DIR=%s\nASD_SIM_NODE_ID=\'h1\'\n'
        'ASD_SIM_SHUTDOWN_DELAY=0.3\n# ASD_SIM_NODE_ID=h9\n' % (sim.state_dir, cluster)))
    conf = write(tmp_path / 'aerospike.conf', CONSOLE_CONF)
    server = asd(conf, python=bare_python(), ASD_SIM_SYSCONFIG=sysconfig)
    server.wait_for('service ready')

    def asinfo(**env):
        result = subprocess.run(bare_python() + [ASINFO, '-v', 'status'], stdout=subprocess.PIPE,
                                universal_newlines=True, env=sim.env(ASD_SIM_SYSCONFIG=sysconfig, **env), check=False)
        return result.stdout.strip(), result.returncode
    assert asinfo() == ('ok', 0)
    down = ("ERROR: Not able to connect any cluster with ('localhost', 3000, None).", 1)
    assert asinfo(ASD_SIM_NODE_ID='h2') == down  # the environment comes first
    with open(os.path.join(cluster, 'nodes', 'h1.json')) as handle:
        node = json.load(handle)
    assert (node['pid'], node['ready'], node['log']) == (server.proc.pid, True, ['console'])
    began = time.time()
    status, out, _err = server.finish()
    assert status == 0 and time.time() - began >= 0.3 and 'finished clean shutdown' in out
    assert asinfo() == down


def test_sigkill_during_a_slow_shutdown_leaves_the_index_unclean(sim, asd, tmp_path):
    # systemd's TimeoutSec ran out while asd was still flushing: SIGKILL, next start cold.
    create_small(sim)
    conf = write(tmp_path / 'aerospike.conf', CONSOLE_CONF)
    server = asd(conf, ASD_SIM_STATE=sim.state_dir, ASD_SIM_SHUTDOWN_DELAY='30')
    server.wait_for('service ready')
    server.proc.send_signal(signal.SIGTERM)
    server.wait_for('initiating clean shutdown')
    status, out, _err = server.finish(signal.SIGKILL)
    assert status == -signal.SIGKILL and 'finished clean shutdown' not in out
    assert base_fields(0xAE001000)[1] == 0
    start = sim.ok('start', '--cold-rate', '1G')
    assert 'cold start' in start.stdout and 'shutdown flag is 0' in start.stdout
    sim.ok('stop')


def test_asinfo_writes_asd_log_lines_where_asd_logs(tmp_path):
    module = load('asinfo_for_test', ASINFO)
    log = str(tmp_path / 'aerospike.log')
    module._asd_log({'log': [log, 'console'], 'unit': None}, 'info', 'quiesced this node')  # pylint: disable=protected-access
    assert read_text(log).endswith(' GMT: INFO (info): (thr_info.c:1018) quiesced this node\n')
    path = str(tmp_path / 'journal.socket')
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(path)
    try:
        module.journal_send('a line', 'aerospike.service', path)
        assert journal.recv(4096) == b'MESSAGE=a line\nSYSLOG_IDENTIFIER=asd\nOBJECT_SYSTEMD_UNIT=aerospike.service\n'
    finally:
        journal.close()


def test_host_files_are_shaped_like_aerospikes():
    unit = read_text(os.path.join(HOST, 'lib', 'systemd', 'system', 'aerospike.service')).splitlines()
    for line in ('TimeoutSec=15', 'EnvironmentFile=/etc/sysconfig/aerospike', 'ExecStartPre=/usr/bin/asd-systemd-helper',
                 'ExecStart=/usr/bin/asd $ASD_OPTIONS --config-file $ASD_CONFIG_FILE --fgdaemon',
                 'WantedBy=multi-user.target'):
        assert line in unit
    assert not os.path.exists(os.path.join(HOST, 'lib', 'systemd', 'system', 'aerospike.service.d'))
    assert read_text(os.path.join(HOST, 'usr', 'share', 'aerospike', 'aerospike.conf.coldstart')) == (
        '[Service]\nEnvironment="ASD_OPTIONS=--cold-start"\n')
    sysconfig = load('asd_sim_for_test', SIM).read_sysconfig(os.path.join(HOST, 'etc', 'sysconfig', 'aerospike'))
    assert sysconfig == {'ASD_CONFIG_FILE': '/etc/aerospike/aerospike.conf'}
    assert os.access(HELPER, os.X_OK) and os.access(SIM, os.X_OK) and os.access(ASINFO, os.X_OK)


def fake_proc_sys(root, shmall, shmmax):
    values = {'kernel/shmall': shmall, 'kernel/shmmax': shmmax, 'kernel/shmmni': '4096',
              'net/core/somaxconn': '128', 'net/core/rmem_max': '212992'}
    for name, value in values.items():
        os.makedirs(os.path.join(root, os.path.dirname(name)), exist_ok=True)
        write(os.path.join(root, name), value + '\n')
    return values


def read_tree(root):
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            out[os.path.relpath(os.path.join(folder, name), root)] = read_text(os.path.join(folder, name)).strip()
    return out


def test_helper_raises_only_the_shm_limits(tmp_path):
    root = str(tmp_path / 'sys')
    values = fake_proc_sys(root, '100', '18446744073692774399')
    done = subprocess.run([HELPER], env=dict(os.environ, ASD_SIM_PROC_SYS=root), stderr=subprocess.PIPE, check=False)
    assert done.returncode == 0 and not done.stderr
    assert read_tree(root) == dict(values, **{'kernel/shmall': '4294967296'})  # shmmax was higher already
    # The real /proc/sys of a fresh IPC namespace: kernel.shm* are per namespace.
    script = 'echo 1000 >/proc/sys/kernel/shmmax && echo 2000 >/proc/sys/kernel/shmall && "$1" && ' \
             'cat /proc/sys/kernel/shmmax /proc/sys/kernel/shmall'
    real = subprocess.run(['unshare', '--ipc', 'sh', '-c', script, 'sh', HELPER], stdout=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert (real.returncode, real.stdout.split()) == (0, ['1073741824', '4294967296'])


def test_helper_warns_but_succeeds_on_a_read_only_proc_sys(tmp_path):
    root = str(tmp_path / 'sys')
    values = fake_proc_sys(root, '100', '200')
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && ASD_SIM_PROC_SYS="$1" "$2"'
    done = subprocess.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, HELPER],
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if 'mount' in done.stderr and done.returncode:
        pytest.skip('no read-only bind mount here: %s' % done.stderr)
    assert done.returncode == 0
    assert 'cannot raise kernel.shmall from 100 to 4294967296' in done.stderr
    assert 'cannot raise kernel.shmmax from 200 to 1073741824' in done.stderr
    assert read_tree(root) == values
