# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for module tests: run a module's main() and get (failed, result)."""

from __future__ import absolute_import, division, print_function

import functools

import pytest

from ansible_collections.fastrestart.aerospike.tests.unit.plugins.modules.utils import (
    run_module,
)

__metaclass__ = type


@pytest.fixture
def run(monkeypatch):
    """run(module, args, check_mode=False, diff=False) -> (failed, result)."""
    return functools.partial(run_module, monkeypatch)
