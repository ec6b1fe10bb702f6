# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make this checkout importable as ansible_collections.fastrestart.aerospike.

The core lives in plugins/module_utils and is imported by its full collection path, as
Ansible imports it. A checkout is not laid out as ansible_collections/<ns>/<name>, so the
command line, the simulators and the tests register the package path here instead.
"""

from __future__ import absolute_import, division, print_function

import os
import sys
import types

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'ansible_collections.fastrestart.aerospike'


def register(root=ROOT):
    """Point the collection's package at root, keeping any other collections importable."""
    existing = sys.modules.get(PACKAGE)
    if existing is not None and root in list(getattr(existing, '__path__', [])):
        return
    parent = None
    for name in ('ansible_collections', 'ansible_collections.fastrestart', PACKAGE):
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name, fromlist=['__path__'])
            except ImportError:
                module = types.ModuleType(name)
                module.__path__ = []
                sys.modules[name] = module
                if parent is not None:
                    setattr(parent, name.rpartition('.')[2], module)
        parent = module
    paths = list(parent.__path__)
    if root not in paths:
        parent.__path__ = [root] + [p for p in paths if os.path.realpath(p) != os.path.realpath(root)]
