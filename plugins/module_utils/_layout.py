# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The few fields of Aerospike's segments that ASMT reads (docs/asmt-format.md §2.2-2.4); the rest is opaque."""

from __future__ import absolute_import, division, print_function

import collections
import struct

__metaclass__ = type

BASE_VERSION_OFFSET = 0
BASE_SHUTDOWN_OFFSET = 4
BASE_NAME_OFFSET = 1024
BASE_N_ARENAS_OFFSET = 2152
BASE_MIN_SIZE = 2156
BASE_VERSIONS = (10, 11, 12)
CLEAN_SHUTDOWN = 1

META_N_ARENAS_OFFSET = 20
META_MIN_SIZE = 24

DATA_NAME_OFFSET = 12
DATA_MIN_SIZE = 44

NAME_SIZE = 32

_U32 = struct.Struct('<I')

BaseHeader = collections.namedtuple('BaseHeader', 'version shutdown name n_arenas')


def decode_name(raw):
    """A NUL-padded 32-byte name as text, or None when it is empty (never matches a namespace)."""
    raw = bytes(raw[:NAME_SIZE]).split(b'\0', 1)[0]
    if not raw:
        return None
    return raw.decode('utf-8', 'surrogateescape')


def encode_name(name):
    """The bytes a namespace name occupies in a segment, for comparisons and tests."""
    return name.encode('utf-8', 'surrogateescape')


def name_matches(stored, requested):
    """ASMT compares at most 32 stored bytes, so a longer requested name never matches."""
    return stored is not None and stored == requested and len(encode_name(requested)) <= NAME_SIZE


def parse_base(buf):
    """Decode a base segment's header from its first BASE_MIN_SIZE bytes."""
    if len(buf) < BASE_MIN_SIZE:
        raise ValueError('base header needs %d bytes, got %d' % (BASE_MIN_SIZE, len(buf)))
    return BaseHeader(
        version=_U32.unpack_from(buf, BASE_VERSION_OFFSET)[0],
        shutdown=_U32.unpack_from(buf, BASE_SHUTDOWN_OFFSET)[0],
        name=decode_name(buf[BASE_NAME_OFFSET:BASE_NAME_OFFSET + NAME_SIZE]),
        n_arenas=_U32.unpack_from(buf, BASE_N_ARENAS_OFFSET)[0],
    )


def parse_meta_n_arenas(buf):
    """The number of secondary stages a meta segment announces."""
    if len(buf) < META_MIN_SIZE:
        raise ValueError('meta header needs %d bytes, got %d' % (META_MIN_SIZE, len(buf)))
    return _U32.unpack_from(buf, META_N_ARENAS_OFFSET)[0]


def parse_data_name(buf):
    """The namespace name of a data stripe, or None when it is empty or the stripe is too short."""
    if len(buf) < DATA_MIN_SIZE:
        return None
    return decode_name(buf[DATA_NAME_OFFSET:DATA_NAME_OFFSET + NAME_SIZE])
