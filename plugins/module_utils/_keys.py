# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Aerospike's System V key layout and ASMT's file names.

A key is type byte (31..24), instance (23..20), namespace id (19..12) and sub-key (11..0).
Classification is deterministic and the same for live segments and for file names: C ASMT
decodes the two sides differently and loses data stripe 0x001 (docs/asmt-format.md §7, differences 1, 16, 23, 24).
"""

from __future__ import absolute_import, division, print_function

import collections
import re

__metaclass__ = type

TYPE_PRIMARY = 0xAE
TYPE_SECONDARY = 0xA2
TYPE_DATA = 0xAD

BASE = 'pi-base'
TREEX = 'pi-treex'
PI_STAGE = 'pi-stage'
META = 'si-meta'
SI_STAGE = 'si-stage'
DATA = 'data-stage'

# ASMT's I/O and manifest order (docs/asmt-format.md §3.3).
ROLE_ORDER = (BASE, TREEX, PI_STAGE, META, SI_STAGE, DATA)
# ASMT's verbose tables list the meta before the primary stages (docs/asmt-format.md §6.3).
TABLE_ORDER = (BASE, TREEX, META, PI_STAGE, SI_STAGE, DATA)

STAGE_MIN = 0x100
STAGE_MAX = 0x8FF
INSTANCE_MAX = 15
NSID_MIN = 1
NSID_MAX = 32
NAME_MAX = 32

EXT_PLAIN = '.dat'
EXT_COMPRESSED = '.dat.gz'

# \Z, not $: '$' also matches before a final newline, and 'ae001000.dat\n' is no segment file.
_FILE_NAME = re.compile(r'^([0-9A-Fa-f]{8})(\.dat|\.dat\.gz)\Z')
_CANDIDATE = re.compile(r'^([^.]{8})(\.dat|\.dat\.gz)\Z')


class SegmentKey(collections.namedtuple('SegmentKey', 'key type_byte instance nsid sub role')):
    """A decoded Aerospike key."""

    __slots__ = ()

    @property
    def stage(self):
        """Stage number for stages and data stripes, None for base, treex and meta."""
        if self.role in (PI_STAGE, SI_STAGE, DATA):
            return self.sub
        return None

    @property
    def hex(self):
        return '0x%08x' % self.key

    @property
    def compressible(self):
        """Base and meta are always stored plain, as C ASMT reads them uncompressed."""
        return self.role not in (BASE, META)

    @property
    def order(self):
        """Sort key that gives ASMT's I/O order: by role, then by key."""
        return (ROLE_ORDER.index(self.role), self.key)


def encode(type_byte, instance, nsid, sub):
    """Compose a key from its fields."""
    return ((type_byte & 0xFF) << 24) | ((instance & 0xF) << 20) | ((nsid & 0xFF) << 12) | (sub & 0xFFF)


def decode(key):
    """Decode a key (signed or unsigned) into a SegmentKey, or None when it is not an Aerospike key."""
    key &= 0xFFFFFFFF
    type_byte = key >> 24
    instance = (key >> 20) & 0xF
    nsid = (key >> 12) & 0xFF
    sub = key & 0xFFF
    if not NSID_MIN <= nsid <= NSID_MAX:
        return None
    if type_byte == TYPE_PRIMARY:
        if sub == 0:
            role = BASE
        elif sub == 1:
            role = TREEX
        elif STAGE_MIN <= sub <= STAGE_MAX:
            role = PI_STAGE
        else:
            return None
    elif type_byte == TYPE_SECONDARY:
        if sub == 0:
            role = META
        elif STAGE_MIN <= sub <= STAGE_MAX:
            role = SI_STAGE
        else:
            return None
    elif type_byte == TYPE_DATA:
        # Every sub-key of a data segment is a stripe; C ASMT mislabels 0x001 and >= 0x100.
        role = DATA
    else:
        return None
    return SegmentKey(key, type_byte, instance, nsid, sub, role)


def file_name(key, compressed=False):
    """ASMT's file name: eight lower-case hex digits and .dat or .dat.gz."""
    return '%08x%s' % (key & 0xFFFFFFFF, EXT_COMPRESSED if compressed else EXT_PLAIN)


def parse_file_name(name):
    """Return (SegmentKey, compressed) for an ASMT segment file name, or None.

    Upper-case hex is accepted, as by C ASMT; anything else after the first dot is not a
    segment file, which is why the manifest's name can never be mistaken for one.
    """
    match = _FILE_NAME.match(name)
    if not match:
        return None
    info = decode(int(match.group(1), 16))
    if info is None:
        return None
    return info, match.group(2) == EXT_COMPRESSED


def has_invalid_characters(name):
    """True for names shaped like a segment file whose eight characters are not all hex."""
    return bool(_CANDIDATE.match(name)) and not _FILE_NAME.match(name)


def stage_text(stage):
    """ASMT's stage display: 0x%03x, or '-' for members without a stage."""
    return '-' if stage is None else '0x%03x' % stage
