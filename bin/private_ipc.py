# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Re-run a program inside `unshare --ipc`, so that it can never see or harm real segments.

The tests, the benchmark and the single-host demo create and remove shared memory freely; this
is their one guard. The environment variable records the namespace the program started in, so
the re-run can prove that it really got a different one.
"""

from __future__ import absolute_import, division, print_function

import os
import shutil
import sys

__metaclass__ = type

OUTER_ENV = 'FASTRESTART_OUTER_IPC_NS'


def ipc_namespace():
    """The identity of this process's IPC namespace, e.g. 'ipc:[4026531839]'."""
    return os.readlink('/proc/self/ns/ipc')


def ensure(argv, who):
    """Return if already in a private IPC namespace made here; else exec argv under unshare --ipc."""
    outer = os.environ.get(OUTER_ENV)
    if outer:
        if outer == ipc_namespace():
            raise SystemExit('%s: unshare --ipc did not give a private IPC namespace; refusing to touch shared memory'
                             % who)
        return
    unshare = shutil.which('unshare')
    if os.geteuid() != 0 or unshare is None:
        raise SystemExit('%s: run as root with unshare(1) available (Debian package util-linux): it works in a '
                         'private IPC namespace so that it cannot touch real segments' % who)
    os.environ[OUTER_ENV] = ipc_namespace()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(unshare, [unshare, '--ipc', '--', sys.executable] + list(argv))
