# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session set-up shared by every test: a private IPC namespace and the collection path."""

from __future__ import absolute_import, division, print_function

import os
import shutil
import sys

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bin'))

import collection_path  # noqa: E402  pylint: disable=wrong-import-position

collection_path.register()


def ipc_namespace():
    """The identity of this process's IPC namespace, e.g. 'ipc:[4026531839]'."""
    return os.readlink('/proc/self/ns/ipc')


def pytest_configure(config):
    """Re-run the whole session inside `unshare --ipc` so no test can touch real segments."""
    config.addinivalue_line('markers', 'slow: long-running test (multi-GiB segments); deselect with -m "not slow"')
    outer = os.environ.get('FASTRESTART_OUTER_IPC_NS')
    if outer:
        if outer == ipc_namespace():
            raise SystemExit('unshare --ipc did not give the tests a private IPC namespace; refusing to touch shared memory')
        return
    unshare = shutil.which('unshare')
    if os.geteuid() != 0 or unshare is None:
        raise SystemExit('tests must run as root with unshare(1) available: they use a private IPC namespace')
    os.environ['FASTRESTART_OUTER_IPC_NS'] = ipc_namespace()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(unshare, [unshare, '--ipc', '--', sys.executable, '-m', 'pytest'] + sys.argv[1:])
