# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every core test runs once per System V backend: [sysv_ipc] and [ctypes].

The backend is chosen through the environment, as an operator would, so subprocesses the
tests start (bin/pyasmt, children that attach) use the same one.
"""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv

__metaclass__ = type


# Package scope: the setting ends with this folder's tests and never reaches the modules' tests.
@pytest.fixture(scope='package', autouse=True, params=['sysv_ipc', 'ctypes'])
def sysv_backend(request):
    saved = os.environ.get(_sysv.BACKEND_ENV)
    os.environ[_sysv.BACKEND_ENV] = request.param
    assert _sysv.backend_name() == request.param
    yield request.param
    if saved is None:
        del os.environ[_sysv.BACKEND_ENV]
    else:
        os.environ[_sysv.BACKEND_ENV] = saved
