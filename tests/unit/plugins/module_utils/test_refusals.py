# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared refusals: one sentence shape and one set of facts for every operation."""

from __future__ import absolute_import, division, print_function

import collections

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _refusals
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    NamespacePlan,
)

__metaclass__ = type

Entry = collections.namedtuple('Entry', 'key shmid nattch')


def test_attached_names_keys_and_pids_and_cuts_the_list(monkeypatch):
    monkeypatch.setattr(_refusals._sysv, 'attaching_pids', lambda shmids: dict((s, [100 + s] if s else []) for s in shmids))
    ns_plan = NamespacePlan('restore', 'test', 0)
    segments = [Entry(0xae001000, 0, 2), Entry(0xae001001, 1, 1), Entry(0xae001100, 2, 0), Entry(0xae001101, 3, 1)]
    assert _refusals.refuse_attached(ns_plan, segments, "'{namespace}': {described}{more} / {keys} / {pids}", limit=2,
                                     namespace='test')
    problem = ns_plan.problems[0].to_dict()
    assert problem['message'] == "'test': 0xae001000 (2 attached), 0xae001001 (pid 101) ... / 0xae001000, 0xae001001 / 101, 103"
    assert problem['keys'] == ['0xae001000', '0xae001001', '0xae001101'] and problem['pids'] == [101, 103]
    assert not _refusals.refuse_attached(NamespacePlan('backup', 'test', 0), [Entry(1, 0, 0)], '{described}')


def test_exists_and_not_found_sentences():
    ns_plan = NamespacePlan('backup', 'test', 1)
    ns_plan.nsid = 2
    _refusals.refuse_exists(ns_plan, "file '/b/x.dat'", 'back up associated segment', ' Choose a new folder.', path='/b/x.dat')
    _refusals.refuse_not_found(ns_plan, 'segment files', ' in /b', ' Namespaces there: bar.')
    assert [p.message for p in ns_plan.problems] == [
        "Found existing Aerospike file '/b/x.dat' with instance 1, namespace 'test' (nsid 2): cannot back up associated "
        "segment. Choose a new folder.",
        "Did not find any Aerospike database segment files, instance 1, namespace 'test' in /b. Namespaces there: bar."]
    assert [p.code for p in ns_plan.problems] == ['exists', 'not-found']
