# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for unit tests: real segments in the session's private IPC namespace, byte fixtures."""

from __future__ import absolute_import, division, print_function

import os
import sys

import pytest

__metaclass__ = type

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shm_sets  # noqa: E402  pylint: disable=wrong-import-position

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')


@pytest.fixture
def shm():
    """A ShmFactory; every segment of the (private) namespace is removed afterwards."""
    factory = shm_sets.ShmFactory()
    factory.remove_all()
    yield factory
    factory.remove_all()
    assert not shm_sets.segments(), 'segments left behind'


@pytest.fixture
def fixture_bytes():
    """Read tests/unit/fixtures/<name> as bytes."""
    def load(name):
        with open(os.path.join(FIXTURES, name), 'rb') as handle:
            return handle.read()
    return load


@pytest.fixture
def small_tmpfs(tmp_path):
    """Mount a tmpfs of the given size under tmp_path and return its path; unmounted afterwards."""
    mounted = []

    def mount(size, name='tmpfs'):
        path = shm_sets.mount_tmpfs(str(tmp_path / ('%s-%d' % (name, len(mounted)))), size)
        mounted.append(path)
        return path
    yield mount
    for path in reversed(mounted):
        shm_sets.umount(path)


@pytest.fixture
def kernel_limit():
    """Lower kernel.shm* limits of the session's private IPC namespace; restored afterwards."""
    saved = []

    def set_limit(name, value):
        saved.append((name, shm_sets.set_kernel_limit(name, value)))
    yield set_limit
    for name, value in reversed(saved):
        shm_sets.set_kernel_limit(name, value)


@pytest.fixture(scope='session', autouse=True)
def restore_journal_dir(tmp_path_factory):
    """Restore journals go to a folder of the test session, never to the host's /run."""
    from ansible_collections.fastrestart.aerospike.plugins.module_utils import _journal
    saved = os.environ.get(_journal.RUN_DIR_ENV)
    path = tmp_path_factory.mktemp('run')
    os.chmod(str(path), 0o700)
    os.environ[_journal.RUN_DIR_ENV] = str(path / 'fastrestart.aerospike')
    yield
    if saved is None:
        del os.environ[_journal.RUN_DIR_ENV]
    else:
        os.environ[_journal.RUN_DIR_ENV] = saved
