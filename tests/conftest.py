# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session set-up shared by every test: a private IPC namespace and the collection path."""

from __future__ import absolute_import, division, print_function

import os
import sys

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bin'))

import collection_path  # noqa: E402  pylint: disable=wrong-import-position
import private_ipc  # noqa: E402  pylint: disable=wrong-import-position

collection_path.register()


def pytest_configure(config):
    """Re-run the whole session inside `unshare --ipc` so no test can touch real segments."""
    config.addinivalue_line('markers', 'slow: long-running test (multi-GiB segments); deselect with -m "not slow"')
    private_ipc.ensure(['-m', 'pytest'] + sys.argv[1:], 'tests')


def _is_scenario(item):
    return item.nodeid.startswith('tests/molecule/test_molecule.py::test_scenario[')


def pytest_collection_modifyitems(session, config, items):  # pylint: disable=unused-argument
    """The molecule scenarios last: they run in the background meanwhile, and their tests only wait."""
    items.sort(key=_is_scenario)


def pytest_collection_finish(session):
    """Start the collected molecule scenarios now: they run while the other tests do."""
    scenarios = set()
    module = None
    for item in session.items:
        if _is_scenario(item):
            scenarios.add(item.callspec.params['scenario'])
            module = item.module
    if module is not None:
        module.start_in_background(scenarios)
