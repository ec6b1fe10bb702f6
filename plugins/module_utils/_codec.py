# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""CRC-32 and gzip-compatible deflate: isal when it is importable, zlib otherwise.

Both produce standard streams that C ASMT reads; isal is about ten times faster. Both
release the GIL, so threads working on different chunks run in parallel. Without isal (the
managed hosts' Debian python3), inflate goes through libz by ctypes where it loads
(_zlib_ctypes: no copy of the output), and through the zlib module otherwise.
"""

from __future__ import absolute_import, division, print_function

import traceback
import zlib

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _zlib_ctypes

try:
    from isal import isal_zlib
except ImportError:
    isal_zlib = None
    HAS_ISAL = False
    ISAL_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_ISAL = True
    ISAL_IMPORT_ERROR = None

__metaclass__ = type

CODECS = ('auto', 'isal', 'zlib')
RAW_WBITS = -15
# 32 + 15: inflate detects a gzip or a zlib wrapper, as C ASMT's reader does.
AUTO_WBITS = 47

_POLY = 0xEDB88320


def _multmodp(a, b):
    """Multiply two polynomials modulo the CRC-32 polynomial (bit-reflected)."""
    mask = 1 << 31
    product = 0
    while True:
        if a & mask:
            product ^= b
            if a & (mask - 1) == 0:
                break
        mask >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _x2n_table():
    table = [1 << 30]
    for dummy in range(31):
        table.append(_multmodp(table[-1], table[-1]))
    return table


_X2N = _x2n_table()


def crc32_combine(crc1, crc2, len2):
    """CRC-32 of A+B from crc(A), crc(B) and len(B), as zlib's C crc32_combine computes it.

    Python's zlib module does not expose it; without it, chunks hashed in parallel could not
    be joined into the whole segment's CRC.
    """
    if len2 <= 0:
        return crc1
    power = 1 << 31
    k = 3
    while len2:
        if len2 & 1:
            power = _multmodp(_X2N[k & 31], power)
        len2 >>= 1
        k += 1
    return _multmodp(power, crc1) ^ crc2


class Codec:
    """One engine's CRC-32, raw deflate and inflate.

    native is the libz Library that inflates for the zlib codec, None where it does not load
    or native=False: isal's own inflate is faster than libz's, so the isal codec has none.
    """

    def __init__(self, name, native=True):
        if name == 'isal':
            if not HAS_ISAL:
                raise ValueError('isal is not importable: %s' % ISAL_IMPORT_ERROR)
            self.module = isal_zlib
            # isal's levels are 0-3; 1 is its fast level, like zlib's 1.
            self.level = 1
            self.crc32_combine = isal_zlib.crc32_combine
        elif name == 'zlib':
            self.module = zlib
            self.level = 1
            self.crc32_combine = crc32_combine
        else:
            raise ValueError('unknown codec %r: choose one of %s' % (name, ', '.join(CODECS)))
        self.name = name
        self.native = _zlib_ctypes.load() if native and name == 'zlib' else None
        self.crc32 = self.module.crc32
        self.error = self.module.error
        self.full_flush = self.module.Z_FULL_FLUSH
        self.finish = self.module.Z_FINISH

    def raw_compressor(self):
        """A raw deflate stream; the caller writes the gzip header and trailer around it.

        zlib at level 1 with memLevel 9 gives the same bytes as C ASMT's gzip stream body.
        """
        if self.module is zlib:
            return zlib.compressobj(self.level, zlib.DEFLATED, RAW_WBITS, 9, zlib.Z_DEFAULT_STRATEGY)
        return self.module.compressobj(self.level, self.module.DEFLATED, RAW_WBITS)

    def decompressor(self, wbits=AUTO_WBITS):
        return self.module.decompressobj(wbits)

    def __repr__(self):
        return 'Codec(%r)' % self.name


def get_codec(name='auto', native=True):
    """The codec by name; 'auto' picks isal when it is importable. native=False keeps zlib to the zlib module."""
    if name in (None, 'auto'):
        name = 'isal' if HAS_ISAL else 'zlib'
    return Codec(name, native)
