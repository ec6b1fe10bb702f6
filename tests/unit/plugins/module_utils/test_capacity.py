# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one rule for the kernel limits a restore needs."""

from __future__ import absolute_import, division, print_function

import collections

from ansible_collections.fastrestart.aerospike.plugins.module_utils._capacity import (
    Needs,
    required_limits,
)

__metaclass__ = type

Entry = collections.namedtuple('Entry', 'key size')


def test_segments_are_counted_in_whole_pages_beside_those_present():
    present = [Entry(0x1000, 1), Entry(0x2000, 4097)]
    create = [(0xae001000, 4096), (0xae001100, 8193)]
    assert required_limits(create, present, page=4096) == {'shmmax': 8193, 'shmall': 1 + 2 + 1 + 3, 'shmmni': 4}


def test_a_present_segment_with_a_key_to_create_is_not_counted_twice():
    present = [Entry(0xae001000, 4096), Entry(0x1000, 4096)]
    create = [(0xae001000, 4096)]
    assert required_limits(create, present, page=4096) == {'shmmax': 4096, 'shmall': 2, 'shmmni': 2}


def test_nothing_to_create_needs_what_is_present():
    assert required_limits([], [Entry(0x1000, 4096)], page=4096) == {'shmmax': 0, 'shmall': 1, 'shmmni': 1}


def test_shortfalls_name_the_sysctl_to_run():
    needs = Needs([(0xae001000, 8192), (0xae001100, 4096)], [Entry(0x1000, 4096)], page=4096)
    kernel = {'shmmax': 4096, 'shmall': 3, 'shmmni': 2}
    assert needs.shortfalls(kernel) == [
        'kernel.shmmax is 4096, below the largest segment (0xae001000, 8192 bytes): run sysctl -w kernel.shmmax=8192',
        'kernel.shmall is 3 pages, short of the 1 in use plus 3 needed: run sysctl -w kernel.shmall=4',
        'kernel.shmmni is 2, short of the 1 segments in use plus 2 needed: run sysctl -w kernel.shmmni=3']
    assert needs.shortfalls({'shmmax': 8192, 'shmall': 4, 'shmmni': 3}) == []
