# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the collection, install the tarball offline, and run a module from the installed copy.

This catches what the checkout hides: a file left out by build_ignore, a module_utils import that
only resolves in the checkout, a galaxy.yml the build rejects.
"""

from __future__ import absolute_import, division, print_function

import glob
import json
import os
import subprocess
import sys
import tarfile

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def _run(args, env, timeout=300):
    proc = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
    out, err = proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')
    assert proc.returncode == 0, '%s failed (%d):\n%s\n%s' % (' '.join(args), proc.returncode, out[-4000:], err[-4000:])
    return out


def test_build_install_and_run_shm_info(tmp_path):
    env = dict(os.environ)
    collections = str(tmp_path / 'collections')
    env.update({
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
        # Only the installed copy: neither the checkout nor anything on sys.path.
        'ANSIBLE_COLLECTIONS_PATH': collections,
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'),
    })

    _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', ROOT, '--output-path', str(tmp_path)], env)
    tarballs = glob.glob(str(tmp_path / 'fastrestart-aerospike-*.tar.gz'))
    assert len(tarballs) == 1, tarballs
    with tarfile.open(tarballs[0]) as tar:
        names = set(tar.getnames())
    for module in ('shm_info', 'shm_backup', 'shm_restore', 'shm_verify', 'shm_segments'):
        assert 'plugins/modules/%s.py' % module in names
    assert 'plugins/doc_fragments/shm.py' in names
    assert 'plugins/module_utils/_shm_module.py' in names
    assert not [n for n in names if n.startswith(('tests/', 'sim/', '.venv/', 'benchmarks/'))]

    _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', tarballs[0], '-p', collections],
         env)
    installed = os.path.join(collections, 'ansible_collections', 'fastrestart', 'aerospike')
    assert os.path.isfile(os.path.join(installed, 'MANIFEST.json'))
    assert not os.path.islink(installed)

    doc = _run([os.path.join(BIN, 'ansible-doc'), '--json', 'fastrestart.aerospike.shm_info'], env)
    assert json.loads(doc)['fastrestart.aerospike.shm_info']['doc']['filename'].startswith(installed)

    # Segments of namespace test, made by the simulator in this session's private IPC namespace.
    state = str(tmp_path / 'sim')
    sim = [sys.executable, os.path.join(ROOT, 'sim', 'asd_sim.py')]
    _run(sim + ['create', '--instance', '0', '--namespace', 'test', '--size', '1M', '--state-dir', state], env)
    try:
        # -o prints one line per host: 'localhost | SUCCESS => {...}'.
        out = _run([os.path.join(BIN, 'ansible'), 'localhost', '-o', '-c', 'local', '-i', 'localhost,',
                    '-e', 'ansible_python_interpreter=%s' % sys.executable,
                    '-m', 'fastrestart.aerospike.shm_info', '-a', '{"namespaces": ["test"], "paths": ["%s"]}' % tmp_path],
                   env)
    finally:
        _run(sim + ['destroy', '--instance', '0', '--state-dir', state], env)
    line = [text for text in out.splitlines() if text.startswith('localhost |')][0]
    result = json.loads(line.split('=>', 1)[1])
    assert not result.get('failed'), result
    assert result['changed'] is False
    assert [(n['namespace'], n['instance'], n['segment_count'], n['clean_shutdown'], n['attached'])
            for n in result['namespaces']] == [('test', 0, 3, True, False)]
    assert result['backups'][0]['state'] == 'empty'
    with open('/proc/sys/kernel/random/boot_id') as handle:
        assert result['boot_id'] == handle.read().strip()
