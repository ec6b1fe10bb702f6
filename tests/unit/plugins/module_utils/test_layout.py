# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fields of base, meta and data segments that ASMT reads (docs/asmt-format.md §2.2-2.4)."""

from __future__ import absolute_import, division, print_function

import struct

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _layout

__metaclass__ = type


def test_offsets_match_the_spec():
    assert (_layout.BASE_VERSION_OFFSET, _layout.BASE_SHUTDOWN_OFFSET, _layout.BASE_NAME_OFFSET,
            _layout.BASE_N_ARENAS_OFFSET, _layout.BASE_MIN_SIZE) == (0, 4, 1024, 2152, 2156)
    assert (_layout.META_N_ARENAS_OFFSET, _layout.META_MIN_SIZE) == (20, 24)
    assert (_layout.DATA_NAME_OFFSET, _layout.DATA_MIN_SIZE, _layout.NAME_SIZE) == (12, 44, 32)
    assert _layout.BASE_VERSIONS == (10, 11, 12)


def test_parse_base_of_the_minimal_vector():
    # The minimal set C ASMT backs up: version 12, clean shutdown, name "mini", one primary stage.
    header = _layout.parse_base(shm_sets.base_bytes('mini', 1, size=2156))
    assert header == _layout.BaseHeader(version=12, shutdown=1, name='mini', n_arenas=1)


@pytest.mark.parametrize('version, shutdown, n_arenas', [(9, 0, 0), (10, 1, 2048), (13, 2, 0xFFFFFFFF)])
def test_parse_base_fields_are_little_endian_u32(version, shutdown, n_arenas):
    buf = bytearray(4096)
    struct.pack_into('<II', buf, 0, version, shutdown)
    struct.pack_into('<I', buf, 2152, n_arenas)
    buf[1024:1028] = b'test'
    header = _layout.parse_base(memoryview(bytes(buf)))
    assert (header.version, header.shutdown, header.n_arenas, header.name) == (version, shutdown, n_arenas, 'test')


def test_parse_base_too_short():
    with pytest.raises(ValueError, match='2156 bytes, got 2155'):
        _layout.parse_base(bytes(2155))


@pytest.mark.parametrize('raw, name', [
    (b'test' + bytes(28), 'test'),
    (b'x' * 32, 'x' * 32),                      # no NUL: all 32 bytes
    (b'x' * 32 + b'yyyy', 'x' * 32),            # never more than 32
    (b'\0bar' + bytes(28), None),               # empty name: "no name"
    (bytes(32), None),
    (b'ab\0cd' + bytes(27), 'ab'),              # up to the first NUL
    (b'\xff\xfe' + bytes(30), '\udcff\udcfe'),  # not UTF-8, kept reversibly
])
def test_decode_name(raw, name):
    assert _layout.decode_name(raw) == name
    if name is not None:
        assert _layout.encode_name(name) == raw[:32].split(b'\0', 1)[0]


@pytest.mark.parametrize('stored, requested, matches', [
    ('test', 'test', True),
    ('test', 'Test', False),
    ('test', 'test2', False),
    (None, 'test', False),
    ('x' * 32, 'x' * 32, True),
    # a stored name is at most 32 bytes, so a longer request can never be it
    ('x' * 32, 'x' * 33, False),
    ('x' * 33, 'x' * 33, False),
    ('é' * 16, 'é' * 16, True),                 # 32 bytes of UTF-8
    ('é' * 17, 'é' * 17, False),                # 34 bytes
])
def test_name_matches(stored, requested, matches):
    assert _layout.name_matches(stored, requested) is matches


@pytest.mark.parametrize('n_arenas', [0, 1, 3, 2048])
def test_parse_meta_n_arenas(n_arenas):
    assert _layout.parse_meta_n_arenas(shm_sets.meta_bytes(n_arenas)) == n_arenas
    assert _layout.parse_meta_n_arenas(shm_sets.meta_bytes(n_arenas, size=4096)) == n_arenas


def test_parse_meta_too_short():
    with pytest.raises(ValueError, match='24 bytes, got 23'):
        _layout.parse_meta_n_arenas(bytes(23))


@pytest.mark.parametrize('buf, name', [
    (shm_sets.data_bytes('mini'), 'mini'),
    (shm_sets.data_bytes('mini', size=100000), 'mini'),
    (shm_sets.data_bytes('mini')[:43], None),   # shorter than 44 bytes: no name (C reads garbage)
    (bytes(44), None),
    (b'\xff' * 12 + b'y' * 32, 'y' * 32),
])
def test_parse_data_name(buf, name):
    assert _layout.parse_data_name(buf) == name
