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
import json
import os
import signal
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
MIB = 1 << 20


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

    def run(self, *args, **kwargs):
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ASD_SIM_'))
        cmd = [sys.executable, SIM] + list(args) + ['--state-dir', self.state_dir]
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
    while 'beginning cold start' not in (sim.log_text() if os.path.exists(sim.log) else ''):
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
    env = dict(os.environ, ASD_SIM_STATE=sim.state_dir, ASD_SIM_LOG=log, ASD_SIM_COLD_RATE=str(1 << 30))
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
