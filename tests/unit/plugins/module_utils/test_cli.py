# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bin/pyasmt run as a process against real segments: ASMT's options, messages and exit status.

The session's private IPC namespace (tests/conftest.py) is inherited by every child, so
the command line sees exactly the segments the shm fixture made.
"""

from __future__ import absolute_import, division, print_function

import io
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile

import pytest

import shm_sets
from shm_sets import DATA, PRIMARY, SECONDARY, key

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
PYASMT = os.path.join(ROOT, 'bin', 'pyasmt')
DECILE = re.compile(r'^Transferred +(\d+)% of data in (\d+h:)?(\d+m:)?\d+\.\ds\.$')
BACKUP_HEADER = re.compile(r'^key +shmid +user +group +mode +natt +segsz +inst +nsid +name +type +stage +$')
RESTORE_HEADER = re.compile(r'^key +user +group +mode +filsz +segsz +inst +nsid +name +type +stage +$')


def pyasmt(*args, **kwargs):
    """Run bin/pyasmt; return the CompletedProcess (text stdout and stderr)."""
    return subprocess.run([PYASMT] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=kwargs.pop('timeout', 60), check=False, **kwargs)


class Result:
    """What an in-process run printed, shaped like a CompletedProcess."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def cli(*args):
    """Run the command line in this process: for argument handling, where a process adds nothing."""
    out, err = io.StringIO(), io.StringIO()
    status = _cli.main([str(a) for a in args], prog='pyasmt', stdout=out, stderr=err)
    return Result(status, out.getvalue(), err.getvalue())


def assert_clean_failure(proc):
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'Traceback' not in proc.stderr + proc.stdout


def files(path):
    return sorted(os.listdir(str(path))) if os.path.isdir(str(path)) else []


def segment_files(path):
    return [name for name in files(path) if re.match(r'^[0-9a-f]{8}\.dat(\.gz)?$', name)]


@pytest.fixture
def full_set(shm):
    """test: 2 primary stages, a secondary index, 2 data stripes (one with a different nsid)."""
    made = shm.make_set(instance=0, nsid=1, name='test', stages=2, sindex_stages=1, stripes=2, stage_size=65536)
    return made


# -- help and the checks in the order of docs/asmt-format.md §6.1 ---------------------------------------------


def test_help_is_complete_and_exits_0():
    proc = pyasmt('-h')
    assert proc.returncode == 0
    text = proc.stdout
    for needle in ('usage: pyasmt [-a] [-b] [-c] [-h] [-i <instance>] -n <name>[,<name>...]',
                   '              -p <pathdir> [-r] [-t <threads>] [-v] [-z]',
                   '--analyze', '--backup', '--crc', '--help', '--instance', '--namespaces', '--path', '--restore',
                   '--threads', '--verbose', '--compress', '--json', '--verify', '--allow-volatile-path',
                   'Notes:', 'Possible primary option combinations:', 'Examples:', 'Exit status:',
                   'pyasmt -b -v -p /var/backups/asd-shm -n test,bar', 'ASMT compares two CRC-32s'):
        assert needle in text, needle
    assert proc.stderr == ''
    # As in ASMT, -h stops parsing: what follows it is not looked at.
    assert cli('-h', '-x', '--bogus').returncode == 0
    assert cli('--help').stdout == text
    assert cli('-x', '-h').returncode == 1
    # The wrapper prints exactly what the module does, errors included.
    proc = pyasmt('-b', '-i', '99', '-p', 'somewhere', '-n', 'test')
    expected = cli('-b', '-i', '99', '-p', 'somewhere', '-n', 'test')
    assert (proc.returncode, proc.stdout, proc.stderr) == (expected.returncode, expected.stdout, expected.stderr)


@pytest.mark.parametrize('args, message', [
    (['-x'], "pyasmt: invalid option -- 'x'"),
    (['-bx'], "pyasmt: invalid option -- 'x'"),
    (['-b', '-n'], "pyasmt: option requires an argument -- 'n'"),
    (['--bogus'], "pyasmt: unrecognized option '--bogus'"),
    (['--ver'], "pyasmt: option '--ver' is ambiguous; possibilities: '--verbose' '--verify' '--version'"),
    (['--path'], "pyasmt: option '--path' requires an argument"),
    (['--backup=yes'], "pyasmt: option '--backup' doesn't allow an argument"),
])
def test_getopt_errors_print_full_usage(args, message):
    proc = cli(*args)
    assert_clean_failure(proc)
    lines = proc.stderr.splitlines()
    assert lines[0] == message
    assert lines[1] == ''
    assert lines[2].startswith('usage: pyasmt ')
    assert 'Possible primary option combinations:' in proc.stderr
    assert proc.stdout == ''


def test_extra_arguments_are_refused_with_full_usage(tmp_path):
    proc = pyasmt('-b', '-p', tmp_path / 'b', '-n', 'test', 'bar')
    assert_clean_failure(proc)
    assert "Unexpected argument 'bar'" in proc.stderr
    assert 'Possible primary option combinations:' in proc.stderr
    assert not os.path.exists(str(tmp_path / 'b'))


@pytest.mark.parametrize('args, message', [
    # 3: exactly one operation; comes before every later check
    ([], "Must specify exactly one of backup ('-b') or restore ('-r')."),
    (['-a'], "Must specify exactly one of backup ('-b') or restore ('-r')."),
    (['-b', '-r', '-i', '99', '-t', '0'], "Must specify exactly one of backup ('-b') or restore ('-r')."),
    (['-b', '--verify', '-p', 'DIR'], "Must specify exactly one of backup ('-b'), restore ('-r') or verify ('--verify')."),
    # 4: the folder
    (['-b', '-i', '99', '-n', 'test'], "Must specify pathname of file directory (use '-p')."),
    (['-r', '-n', 'test'], "Must specify pathname of file directory (use '-p')."),
    # 6: instance, before threads
    (['-b', '-p', 'DIR', '-i', '16', '-t', '0', '-n', 'test'], "Instance must be from 0..15 (use '-i')."),
    (['-b', '-p', 'DIR', '-i', '-1', '-n', 'test'], "Instance must be from 0..15 (use '-i')."),
    (['-b', '-p', 'DIR', '-i', 'abc', '-n', 'test'], "Instance must be from 0..15 (use '-i')."),
    (['-b', '-p', 'DIR', '-i', '65535', '-n', 'test'], "Instance must be from 0..15 (use '-i')."),
    # 7: threads, before the namespace list
    (['-b', '-p', 'DIR', '-t', '0'], "Max threads must be in the range 1..1024 (use '-t')."),
    (['-r', '-p', 'DIR', '-t', '1025', '-n', 'test'], "Max threads must be in the range 1..1024 (use '-t')."),
    (['-b', '-p', 'DIR', '-t', 'many', '-n', 'test'], "Max threads must be in the range 1..1024 (use '-t')."),
    # 9: the namespace list, last
    (['-b', '-p', 'DIR'], 'Failed to extract namespace names from list.'),
    (['-ra', '-p', 'DIR'], 'Failed to extract namespace names from list.'),
])
def test_validation_order_and_messages(tmp_path, args, message):
    folder = str(tmp_path / 'backup')
    proc = cli(*[folder if a == 'DIR' else a for a in args])
    assert_clean_failure(proc)
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(message), proc.stderr
    assert lines[1] == ''
    assert lines[2].startswith('usage: pyasmt ')
    assert 'Notes:' in proc.stderr
    # Only getopt errors (and -h) show the combinations and examples.
    assert 'Possible primary option combinations:' not in proc.stderr
    assert not os.path.exists(folder)


def test_compress_with_restore_is_a_notice_then_validation_continues(tmp_path):
    proc = cli('-r', '-z', '-p', tmp_path, '-i', '99', '-n', 'test')
    assert_clean_failure(proc)
    lines = proc.stderr.splitlines()
    assert lines[0] == "Unnecessary to specify compress ('-z') with restore ('-r')."
    assert lines[1].startswith("Instance must be from 0..15 (use '-i').")


def test_instance_65535_and_non_numbers_say_why(tmp_path):
    proc = cli('-b', '-p', tmp_path, '-i', '65535', '-n', 'test')
    assert "'any instance'" in proc.stderr and 'run once per instance' in proc.stderr
    proc = cli('-b', '-p', tmp_path, '-t', 'x', '-n', 'test')
    assert "Got 'x'" in proc.stderr


# -- backup, restore, analyze -------------------------------------------------------------


def test_backup_then_restore_round_trip(shm, full_set, tmp_path):
    folder = tmp_path / 'b'
    before = shm.fingerprint()
    proc = pyasmt('-b', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    # Quiet like ASMT without -v.
    assert proc.stdout == ''
    assert segment_files(folder) == sorted('%08x.dat' % k for k in full_set.values())
    assert oct(os.stat(str(folder)).st_mode & 0o777) == '0o700'
    shm.remove_all()
    proc = pyasmt('-r', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert shm.fingerprint() == before


@pytest.mark.parametrize('how', ['python3', 'this-python', 'link'])
def test_bin_pyasmt_is_one_program_however_it_is_started(shm, full_set, tmp_path, how):
    """python3 bin/pyasmt -b once exited 0 having done nothing (the file was bash and Python at once)."""
    folder = tmp_path / 'b'
    env = dict(os.environ)
    if how == 'link':
        link = tmp_path / 'asmt'
        os.symlink(PYASMT, str(link))
        argv = [str(link)]
    else:
        python = shutil.which('python3') if how == 'python3' else sys.executable
        argv = [python, PYASMT]
        # Without a virtualenv to switch to, the Python it was started with runs it, with
        # whichever backend it has (a python3 without sysv_ipc uses ctypes).
        env['PYASMT_REEXEC'] = '1'
        if how == 'python3':
            env.pop('FASTRESTART_SYSV_BACKEND', None)
    proc = subprocess.run(argv + ['-b', '-p', str(folder), '-n', 'test'], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    assert segment_files(folder) == sorted('%08x.dat' % k for k in full_set.values())
    proc = subprocess.run(argv + ['-x'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60, check=False, env=env)
    assert proc.returncode == 1 and 'usage: %s ' % os.path.basename(argv[-1]) in proc.stderr + proc.stdout


def test_a_backend_asked_for_but_missing_is_said_not_taken_for_no_names(shm, full_set, tmp_path):
    python = shutil.which('python3')
    probe = subprocess.run([python, '-c', 'import sysv_ipc'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if probe.returncode == 0:
        pytest.skip('python3 has sysv_ipc')
    env = dict(os.environ, PYASMT_REEXEC='1', FASTRESTART_SYSV_BACKEND='sysv_ipc')
    proc = subprocess.run([python, PYASMT, '-b', '-p', str(tmp_path / 'b'), '-n', 'test'], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False, env=env)
    assert_clean_failure(proc)
    assert 'the Python library sysv_ipc is required' in proc.stderr + proc.stdout


def test_compressed_crc_backup_and_crc_restore(shm, full_set, tmp_path):
    folder = tmp_path / 'z'
    before = shm.fingerprint()
    proc = pyasmt('-bzc', '-v', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert 'Performing backup operation with compression and crc32 checking.' in proc.stdout
    assert 'crc32-check passed' in proc.stdout
    names = segment_files(folder)
    # Base and meta are never compressed (docs/asmt-format.md §3.2); everything else is with -z.
    assert names == sorted('%08x.dat' % k if label in ('base', 'meta') else '%08x.dat.gz' % k
                           for label, k in full_set.items())
    shm.remove_all()
    proc = pyasmt('-rc', '-v', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert 'Performing restore operation with crc32 checking.' in proc.stdout
    assert 'Successfully restored 8 Aerospike database segment files.' in proc.stdout
    assert shm.fingerprint() == before


def test_bundled_short_options_with_attached_values(shm, tmp_path):
    made = shm.make_set(instance=2, nsid=3, name='bar', stages=1)
    folder = tmp_path / 'i2'
    proc = pyasmt('-bvzi2', '-p%s' % folder, '-nbar')
    assert proc.returncode == 0, proc.stderr
    assert "Performing backup operation with compression." in proc.stdout
    assert '%08x.dat.gz' % made['pi-0x100'] in files(folder)
    # Options may follow the non-option position too (GNU getopt permutes).
    shm.remove_all()
    proc = pyasmt('-p', folder, '-r', '-i', '2', '-n', 'bar', '-t1')
    assert proc.returncode == 0, proc.stderr
    assert sorted(shm_sets.segments()) == sorted(made.values())


def test_long_options(shm, full_set, tmp_path):
    folder = tmp_path / 'long'
    proc = pyasmt('--analyze', '--backup', '--path', folder, '--namespaces=test', '--instance=0', '--threads', '2',
                  '--verbose', '--compress', '--crc')
    assert proc.returncode == 0, proc.stderr
    assert 'Performing analyze operation with backup option.' in proc.stdout
    assert not os.path.exists(str(folder))
    proc = pyasmt('--backup', '--path=%s' % folder, '--namespaces', 'test', '--compress', '--crc', '--verb')
    assert proc.returncode == 0, proc.stderr
    assert 'Successfully backed up 8 Aerospike database segments.' in proc.stdout
    shm.remove_all()
    proc = pyasmt('--restore', '--path', folder, '--namespaces', 'test', '--crc')
    assert proc.returncode == 0, proc.stderr
    assert len(shm_sets.segments()) == 8
    assert pyasmt('--version').stdout.startswith('pyasmt ')


def test_analyze_backup_creates_nothing_and_reports(shm, full_set, tmp_path):
    folder = tmp_path / 'never'
    proc = pyasmt('-ab', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('Analysis passed: would back up test (')
    assert not os.path.exists(str(folder))
    proc = pyasmt('-abvc', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # ASMT prints the command that would do it; -c shows each segment's CRC-32.
    assert lines[-1] == 'pyasmt -b -i 0 -p %s -n test -c' % folder
    header = [line for line in lines if line.startswith('key ')][0]
    assert header.split() == ['key', 'shmid', 'user', 'group', 'mode', 'natt', 'segsz', 'inst', 'nsid', 'name', 'type',
                              'stage', 'crc32']
    base_row = [line for line in lines if line.startswith('0x%08x' % full_set['base'])][0].split()
    assert base_row[-1] == '0x%08x' % shm.crc(full_set['base'])
    assert not os.path.exists(str(folder))


def test_analyze_restore_creates_no_segment(shm, full_set, tmp_path):
    folder = tmp_path / 'b'
    assert pyasmt('-b', '-p', folder, '-n', 'test').returncode == 0
    shm.remove_all()
    proc = pyasmt('-ar', '-v', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert 'Performing analyze operation with restore option.' in proc.stdout
    assert proc.stdout.splitlines()[-1] == 'pyasmt -r -i 0 -p %s -n test' % folder
    assert shm_sets.segments() == {}
    # An analysis that would fail exits 1 and says why, still creating nothing.
    shm.make_set(instance=0, nsid=1, name='test', stages=1, random=False)
    proc = pyasmt('-ar', '-p', folder, '-n', 'test')
    assert_clean_failure(proc)
    assert 'Found existing Aerospike primary index segment' in proc.stderr
    assert 'Analysis failed' in proc.stdout
    assert len(shm_sets.segments()) == 3


def test_verbose_tables_deciles_and_totals(shm, full_set, tmp_path):
    folder = tmp_path / 'v'
    proc = pyasmt('-b', '-v', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith('Aerospike Shared Memory Tool')
    assert lines[2] == 'pyasmt -b -v -p %s -n test' % folder
    assert 'Performing backup operation.' in lines
    header = [i for i, line in enumerate(lines) if BACKUP_HEADER.match(line)]
    assert len(header) == 1
    start = header[0]
    assert lines[start - 1] == ''
    # docs/asmt-format.md §6.3: each column as wide as its longest cell (shmids grow with the namespace's
    # history), every cell padded to that width plus two spaces.
    widths = [len(cell) for cell in lines[start + 1].split('  ') if cell]
    assert lines[start + 1] == ''.join('-' * w + '  ' for w in widths)
    assert widths[0] == 10 and widths[2] == len('user') and len(widths) == 12
    for row in [lines[start]] + lines[start + 2:start + 10]:
        cells, at = [], 0
        for w in widths:
            cells.append(row[at:at + w + 2])
            at += w + 2
        assert len(row) == at and all(c[-2:] == '  ' for c in cells)
    rows = lines[start + 2:start + 10]
    # Row order of docs/asmt-format.md §6.3: base, treex, meta, primary stages, secondary stages, data.
    assert [row.split()[10] for row in rows] == [
        'pi-base', 'pi-treex', 'si-meta', 'pi-stage', 'pi-stage', 'si-stage', 'data-stage', 'data-stage']
    assert lines[start + 10] == ''
    deciles = [int(DECILE.match(line).group(1)) for line in lines if DECILE.match(line)]
    assert deciles and deciles[-1] == 100 and deciles == sorted(set(deciles))
    assert 'Successfully backed up 8 Aerospike database segments.' in lines
    shm.remove_all()
    proc = pyasmt('-r', '-v', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = [i for i, line in enumerate(lines) if RESTORE_HEADER.match(line)][0]
    rows = [line.split() for line in lines[start + 2:start + 10]]
    assert rows[0][3] == '0100666' and rows[-1][9] == 'data'
    assert [int(DECILE.match(line).group(1)) for line in lines if DECILE.match(line)][-1] == 100
    assert 'Successfully restored 8 Aerospike database segment files.' in lines


def test_elapsed_and_table_formats():
    assert _cli.elapsed_text(0) == '0.0s'
    assert _cli.elapsed_text(20.85) == '20.8s'
    assert _cli.elapsed_text(65.3) == '1m:5.3s'
    assert _cli.elapsed_text(3725.0) == '1h:2m:5.0s'
    assert _cli.table_lines(['key', 'type'], [['0xae001000', 'pi-base']]) == [
        'key         type     ', '----------  -------  ', '0xae001000  pi-base  ']


# -- JSON -----------------------------------------------------------------------------------


def test_json_matches_the_plan_and_result(shm, full_set, tmp_path):
    folder = tmp_path / 'j'
    proc = pyasmt('-bz', '-v', '--json', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    # Human-readable text goes to stderr so that stdout is only the document.
    assert 'Successfully backed up 8' in proc.stderr
    assert doc['operation'] == 'backup'
    result = doc['result']
    assert result['ok'] is True and result['changed'] is True and result['exit_status'] == 0
    assert result['bytes'] == sum(shm_sets.segments()[k]['size'] for k in full_set.values())
    assert result['seconds'] >= 0 and 'gbps' in result and result['error'] is None
    plan = doc['plan']
    assert plan['compress'] is True and plan['path'] == str(folder)
    segments = plan['namespaces'][0]['segments']
    assert sorted(s['file'] for s in segments) == segment_files(folder)
    # The plan stays as planned (no CRC known before the run); the result has what the run computed.
    assert all(seg['crc32'] is None for seg in segments)
    made = result['namespaces'][0]['segments']
    assert sorted(s['file'] for s in made) == segment_files(folder)
    for seg in made:
        assert seg['crc32'] == '0x%08x' % shm.crc(int(seg['key'], 16))
    # Analyze: the same plan, nothing done.
    proc = pyasmt('-ab', '--json', '-p', tmp_path / 'other', '-n', 'test')
    doc = json.loads(proc.stdout)
    assert doc['result']['analyze'] is True and doc['result']['ok'] is True
    assert doc['plan']['namespaces'][0]['state'] == 'ready'


def test_json_on_failure_and_on_argument_errors(shm, full_set, tmp_path):
    proc = pyasmt('-b', '--json', '-p', tmp_path / 'f', '-n', 'nope')
    assert_clean_failure(proc)
    doc = json.loads(proc.stdout)
    assert doc['result']['ok'] is False and doc['result']['exit_status'] == 1
    assert "namespace 'nope'" in doc['result']['message']
    assert doc['plan']['namespaces'][0]['problems'][0]['code'] == 'not-found'
    proc = pyasmt('-b', '--json', '-i', '42', '-p', tmp_path)
    assert_clean_failure(proc)
    doc = json.loads(proc.stdout)
    assert doc['plan'] is None and doc['result']['error']['type'] == 'UsageError'
    assert doc['result']['message'].startswith("Instance must be from 0..15 (use '-i').")
    proc = pyasmt('-q', '--json')
    doc = json.loads(proc.stdout)
    assert "invalid option -- 'q'" in doc['result']['message']
    # getopt_long abbreviations count, even before the option that fails.
    proc = cli('--js', '-q')
    assert json.loads(proc.stdout)['result']['exit_status'] == 1
    proc = cli('--js', '-b', '-p', tmp_path / 'never')
    assert json.loads(proc.stdout)['result']['message'].startswith('Failed to extract namespace names from list.')


# -- verify -----------------------------------------------------------------------------------


def test_verify_good_and_corrupted_backups(shm, full_set, tmp_path):
    folder = tmp_path / 'ver'
    assert pyasmt('-bz', '-p', folder, '-n', 'test').returncode == 0
    before = shm.fingerprint()
    proc = pyasmt('--verify', '-p', folder)
    assert proc.returncode == 0, proc.stderr
    assert "Verified backup of namespace 'test' (instance 0)" in proc.stdout
    assert 'checked against manifest' in proc.stdout
    proc = pyasmt('--verify', '-v', '--json', '-p', folder, '-n', 'test')
    doc = json.loads(proc.stdout)
    assert doc['result']['ok'] is True
    assert [f['ok'] for f in doc['result']['namespaces'][0]['files']] == [True] * 8
    # Damage one compressed stage in the middle of its stream.
    damaged = os.path.join(str(folder), '%08x.dat.gz' % full_set['pi-0x101'])
    with open(damaged, 'r+b') as handle:
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0xFF]))
    proc = pyasmt('--verify', '-p', folder)
    assert_clean_failure(proc)
    assert damaged in proc.stderr
    assert 'is damaged: 1 of 8 files failed; do not restore from it' in proc.stderr
    # Verify never touches shared memory.
    assert shm.fingerprint() == before


def test_verify_of_an_asmt_backup_without_manifest(shm, full_set, tmp_path):
    folder = tmp_path / 'asmt'
    assert pyasmt('-bz', '-p', folder, '-n', 'test').returncode == 0
    for name in files(folder):
        if name.endswith('.manifest.json'):
            os.unlink(os.path.join(str(folder), name))
    proc = pyasmt('--verify', '-p', folder, '-i', '0')
    assert proc.returncode == 0, proc.stderr
    assert 'gzip trailer' in proc.stdout
    assert 'no manifest' in proc.stderr
    proc = pyasmt('--verify', '-p', tmp_path / 'missing')
    assert_clean_failure(proc)
    assert 'is not a folder' in proc.stderr


# -- namespace list semantics (docs/asmt-format.md §6.2) --------------------------------------------------------


def test_one_namespace_failing_does_not_stop_the_others(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='test', stages=1)
    shm.make_set(instance=0, nsid=2, name='bar', stages=1)
    folder = tmp_path / 'ns'
    proc = pyasmt('-b', '-p', folder, '-n', 'missing,test,bar')
    assert_clean_failure(proc)
    assert "namespace 'missing'" in proc.stderr and "'bar', 'test'" in proc.stderr
    assert sorted(n for n in files(folder) if n.endswith('.manifest.json')) == [
        'fastrestart-i0-bar.manifest.json', 'fastrestart-i0-test.manifest.json']
    before = shm.fingerprint()
    shm.remove_all()
    # A damaged file fails its namespace at restore time; the next one is still restored.
    damaged = os.path.join(str(folder), '%08x.dat' % key(PRIMARY, 0, 1, 0x100))
    with open(damaged, 'r+b') as handle:
        handle.write(b'\xff\xfe')
    proc = pyasmt('-r', '-v', '-p', folder, '-n', 'test,bar')
    assert_clean_failure(proc)
    assert damaged in proc.stderr
    assert 'Failed to restore 3 Aerospike database segment files.' in proc.stdout
    assert 'Successfully restored 3 Aerospike database segment files.' in proc.stdout
    # Nothing of the failed namespace is left behind; the other one is complete.
    assert sorted(shm_sets.segments()) == sorted(k for k in before if (k >> 12) & 0xFF == 2)


def test_empty_repeated_and_impossible_names(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='test', stages=1)
    shm.make_set(instance=0, nsid=2, name='bar', stages=1)
    # Empty elements are skipped; ASMT then says so and still exits 0.
    proc = pyasmt('-b', '-p', tmp_path / 'a', '-n', 'test,,bar,')
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == 'Invalid namespace name(s) provided.'
    # Only empty names: ASMT does nothing and exits 0; pyasmt refuses.
    proc = pyasmt('-b', '-p', tmp_path / 'b', '-n', ',')
    assert_clean_failure(proc)
    assert 'Invalid namespace name(s) provided.' in proc.stderr
    assert not os.path.exists(str(tmp_path / 'b'))
    # A repeated name is processed once.
    proc = pyasmt('-b', '-v', '-p', tmp_path / 'c', '-n', 'test,test')
    assert proc.returncode == 0, proc.stderr
    assert "Namespace 'test' is listed more than once: processing it once." in proc.stdout
    # A name longer than Aerospike stores cannot match; the others still run.
    proc = pyasmt('-b', '-p', tmp_path / 'd', '-n', 'x' * 33 + ',bar')
    assert_clean_failure(proc)
    assert 'longer than the 32 bytes' in proc.stderr
    assert 'fastrestart-i0-bar.manifest.json' in files(tmp_path / 'd')


def test_not_found_beside_other_namespaces_exits_1(shm, tmp_path):
    # ASMT exits 0 here (docs/asmt-format.md §7, difference 9); pyasmt fails and names what exists.
    shm.make_set(instance=0, nsid=1, name='test', stages=1)
    proc = pyasmt('-b', '-v', '-p', tmp_path / 'x', '-n', 'other')
    assert_clean_failure(proc)
    assert "Did not find any Aerospike database segments, instance 0, namespace 'other'." in proc.stderr
    assert "Namespaces found for instance 0: 'test'." in proc.stderr
    assert "Failed backup sanity check for instance 0, namespace 'other'." in proc.stdout


# -- refusals: messages, not tracebacks ----------------------------------------------------------


def test_attached_and_unclean_sets_are_refused_with_advice(shm, tmp_path):
    made = shm.make_set(instance=0, nsid=1, name='test', stages=1)
    shm.attach(made['pi-0x100'])
    proc = pyasmt('-b', '-p', tmp_path / 'att', '-n', 'test')
    assert_clean_failure(proc)
    assert 'are attached' in proc.stderr and 'pid %d' % os.getpid() in proc.stderr
    assert 'stop asd cleanly' in proc.stderr
    assert not os.path.exists(str(tmp_path / 'att'))
    shm.remove_all()
    shm.make_set(instance=0, nsid=1, name='test', stages=1, shutdown=0)
    proc = pyasmt('-b', '-p', tmp_path / 'unclean', '-n', 'test')
    assert_clean_failure(proc)
    assert 'expecting status 1, found status 0' in proc.stderr


def test_existing_backup_files_are_never_overwritten(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='test', stages=1)
    folder = tmp_path / 'old'
    os.mkdir(str(folder))
    stray = os.path.join(str(folder), '%08x.dat' % key(DATA, 0, 1, 0x777))
    with open(stray, 'wb') as handle:
        handle.write(b'old')
    proc = pyasmt('-b', '-v', '-p', folder, '-n', 'test')
    assert_clean_failure(proc)
    assert "Found existing Aerospike file '%s'" % stray in proc.stderr
    assert files(folder) == [os.path.basename(stray)]
    # A file in the way of the folder itself.
    target = tmp_path / 'plainfile'
    target.write_text(u'x')
    proc = pyasmt('-b', '-p', target, '-n', 'test')
    assert_clean_failure(proc)
    assert 'is not a folder' in proc.stderr


def test_second_backup_into_same_folder_is_a_no_op(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='test', stages=1, sindex_stages=1)
    folder = tmp_path / 'same'
    assert pyasmt('-b', '-p', folder, '-n', 'test').returncode == 0
    proc = pyasmt('-b', '-v', '--json', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert 'is already backed up' in proc.stderr
    assert json.loads(proc.stdout)['result']['changed'] is False


def test_volatile_path_needs_the_option(shm):
    shm.make_set(instance=0, nsid=1, name='test', stages=1)
    if not os.path.isdir('/dev/shm') or _volatile('/dev/shm') is None:
        pytest.skip('no tmpfs at /dev/shm')
    parent = tempfile.mkdtemp(prefix='pyasmt-test-', dir='/dev/shm')
    try:
        proc = pyasmt('-b', '-p', os.path.join(parent, 'b'), '-n', 'test')
        assert_clean_failure(proc)
        assert 'tmpfs, which a reboot erases' in proc.stderr
        assert not os.path.exists(os.path.join(parent, 'b'))
        proc = pyasmt('-b', '--allow-volatile-path', '-p', os.path.join(parent, 'b'), '-n', 'test')
        assert proc.returncode == 0, proc.stderr
        assert len(segment_files(os.path.join(parent, 'b'))) == 3
    finally:
        shutil.rmtree(parent)


def _volatile(path):
    from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
    return _folder.volatile_filesystem(path)


def test_secondary_members_of_other_namespaces_do_not_block_a_restore(shm, tmp_path):
    # TOOLS-2334: foreign and other namespaces' secondary segments must not block a restore.
    shm.make_set(instance=0, nsid=1, name='test', stages=1)
    folder = tmp_path / 'b'
    assert pyasmt('-b', '-p', folder, '-n', 'test').returncode == 0
    shm.remove_all()
    shm.create(key(SECONDARY, 0, 5, 0), 4096, shm_sets.meta_bytes(1))
    shm.create(key(SECONDARY, 1, 1, 0x100), 4096)
    shm.create(0xFF001000, 4096)
    proc = pyasmt('-r', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr


# -- progress on a terminal and interruption ------------------------------------------------------


def test_progress_line_on_a_terminal(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='test', stages=2, stage_size=8 << 20)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([PYASMT, '-b', '-p', str(tmp_path / 'tty'), '-n', 'test'],
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        slave = None
        seen = b''
        while True:
            if not select.select([master], [], [], 30)[0]:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=30) == 0
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    text = seen.decode()
    assert '\r' in text and 'GB/s' in text and 'ETA' in text and ' / 16.' in text
    # The line is wiped at the end: the terminal is left clean.
    assert text.endswith('\r')
    assert proc.stdout.read() == b''


class _InterruptingStream(io.StringIO):
    """Stands for a user pressing Ctrl-C: the first decile line raises KeyboardInterrupt."""

    def write(self, text):
        if text.startswith('Transferred'):
            raise KeyboardInterrupt()
        return super(_InterruptingStream, self).write(text)

    def isatty(self):
        return False


@pytest.mark.parametrize('operation', ['backup', 'restore'])
def test_interrupt_cleans_up_and_exits_1(shm, tmp_path, operation):
    shm.make_set(instance=0, nsid=1, name='test', stages=4, stage_size=1 << 20)
    folder = str(tmp_path / 'int')
    if operation == 'restore':
        assert pyasmt('-b', '-p', folder, '-n', 'test').returncode == 0
        shm.remove_all()
    out, err = _InterruptingStream(), io.StringIO()
    args = ['-b' if operation == 'backup' else '-r', '-v', '-t', '1', '-p', folder, '-n', 'test']
    status = _cli.main(args, prog='pyasmt', stdout=out, stderr=err)
    assert status == 1
    assert 'Interrupted' in err.getvalue()
    if operation == 'backup':
        assert files(folder) == []
    else:
        assert shm_sets.segments() == {}


def test_sigterm_mid_backup_removes_what_it_wrote(shm, tmp_path):
    shm.make_set(instance=0, nsid=1, name='test', stages=8, stage_size=32 << 20, random=False)
    folder = str(tmp_path / 'term')
    proc = subprocess.Popen([PYASMT, '-b', '-v', '-t', '1', '-p', folder, '-n', 'test'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)
    for line in proc.stdout:
        if line.startswith('Transferred'):
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    assert 'Interrupted' in err and 'Traceback' not in err
    assert 'Successfully backed up' not in out
    # The folder was created by this run and is empty again, so it is gone too.
    assert not os.path.exists(folder)


def test_orphan_data_stripes_round_trip_with_a_warning(shm, tmp_path):
    made = shm.make_set(instance=0, nsid=1, name='test', stages=1, stripes=2, skip=('base', 'treex', 'pi-0x100'))
    before = shm.fingerprint()
    folder = tmp_path / 'orphan'
    proc = pyasmt('-ab', '-v', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert 'orphan data' in proc.stderr
    # ASMT suggests no command for orphan data.
    assert not proc.stdout.splitlines()[-1].startswith('pyasmt -b')
    proc = pyasmt('-b', '-p', folder, '-n', 'test')
    assert proc.returncode == 0, proc.stderr
    assert segment_files(folder) == sorted('%08x.dat' % made[label] for label in ('data-0x000', 'data-0x001'))
    shm.remove_all()
    assert pyasmt('-r', '-p', folder, '-n', 'test').returncode == 0
    assert shm.fingerprint() == before
