# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A cluster folder whose nodes look running to sim/asinfo.py, without any asd.

A running asd holds an flock on ``nodes/<id>.lock`` and writes ``nodes/<id>.json``; this helper
does both from the test process, so a test can start, stop and restart nodes in microseconds.
Used by tests/sim and, loaded by path, by tests/fleet/test_fleet.py.
"""

from __future__ import absolute_import, division, print_function

import fcntl
import importlib.util
import io
import json
import os
import subprocess
import sys
import time

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASINFO = os.path.join(ROOT, 'sim', 'asinfo.py')


def load_sim(name, filename):
    """A sim/ script as a module, by path and under another name (tests/fleet is itself called "fleet")."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, 'sim', filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


asinfo_sim = load_sim('asinfo_sim_fake', 'asinfo.py')


class FakeCluster(object):
    """Nodes that look running to asinfo: a held lock and a ready json, as asd_sim writes them."""

    def __init__(self, path, migration_seconds=0):
        self.path = path
        self.locks = {}
        self.pids = {}
        os.makedirs(os.path.join(path, 'nodes'))
        with open(os.path.join(path, 'config.json'), 'w') as handle:
            json.dump({'migration_seconds': migration_seconds}, handle)

    def node(self, node_id, build='7.1.0.0', namespaces=('test',), **extra):
        """Start (or restart: a new pid) node_id; extra keys go into its json (edition, namespace_config)."""
        if node_id in self.locks:
            self.stop(node_id)
        handle = open(os.path.join(self.path, 'nodes', node_id + '.lock'), 'a')
        fcntl.flock(handle, fcntl.LOCK_EX)
        self.locks[node_id] = handle
        self.pids[node_id] = self.pids.get(node_id, 1000 + 10 * len(self.pids)) + 1
        info = {'node_id': node_id, 'pid': self.pids[node_id], 'started_at': time.time() - 5,
                'namespaces': list(namespaces), 'build': build, 'ready': True, 'running': True}
        info.update(extra)
        with open(os.path.join(self.path, 'nodes', node_id + '.json'), 'w') as out:
            json.dump(info, out)

    def stop(self, node_id):
        self.locks.pop(node_id).close()

    def hex(self, node_id):
        return asinfo_sim.node_hex(node_id)

    def asinfo(self, node_id, *args, **env):
        """asinfo's stdout and exit code; in this process (fast) unless process=True."""
        full = dict(os.environ, ASD_SIM_CLUSTER_DIR=self.path, ASD_SIM_NODE_ID=node_id,
                    ASD_SIM_SYSCONFIG='/nonexistent/sysconfig/aerospike')
        for name in ('ASD_SIM_MIGRATION_SECONDS', 'ASD_SIM_SC_UNAVAILABLE'):
            full.pop(name, None)
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

    def value(self, node_id, request, **env):
        """The printed value of one request (stripped), asserting nothing about its exit code."""
        return self.asinfo(node_id, '-v', request, **env)[0].strip()

    def close(self):
        for handle in self.locks.values():
            handle.close()
        self.locks = {}
