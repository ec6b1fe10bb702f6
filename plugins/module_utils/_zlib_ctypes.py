# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""zlib's inflate through ctypes, writing straight into the memory it is given.

Python's zlib module returns every piece of output as a new bytes object, which must then be
copied into the segment; libz called directly puts it at the segment's address, with the GIL
released (ctypes drops it around every foreign call), so threads inflate in parallel. libz
is on every host that has Python's zlib module. Where it cannot be loaded, load() returns
None and the callers use the zlib module instead.
"""

from __future__ import absolute_import, division, print_function

import ctypes
import ctypes.util

__metaclass__ = type

Z_NO_FLUSH = 0
Z_OK = 0
Z_STREAM_END = 1
Z_BUF_ERROR = -5
_MESSAGES = {2: 'a dictionary is needed', -2: 'inconsistent stream state', -3: 'invalid compressed data',
             -4: 'out of memory', -6: 'incompatible zlib version'}


class ZStream(ctypes.Structure):
    """zlib's z_stream, whose layout zlib keeps stable across 1.x releases."""

    _fields_ = [
        ('next_in', ctypes.c_void_p),
        ('avail_in', ctypes.c_uint),
        ('total_in', ctypes.c_ulong),
        ('next_out', ctypes.c_void_p),
        ('avail_out', ctypes.c_uint),
        ('total_out', ctypes.c_ulong),
        ('msg', ctypes.c_char_p),
        ('state', ctypes.c_void_p),
        ('zalloc', ctypes.c_void_p),
        ('zfree', ctypes.c_void_p),
        ('opaque', ctypes.c_void_p),
        ('data_type', ctypes.c_int),
        ('adler', ctypes.c_ulong),
        ('reserved', ctypes.c_ulong),
    ]


class ZlibError(Exception):
    """libz refused the stream: its message, as the zlib module's error would carry it."""


class Library:
    """The loaded libz with the signatures of the functions used here."""

    def __init__(self, handle):
        self.handle = handle
        handle.zlibVersion.argtypes = []
        handle.zlibVersion.restype = ctypes.c_char_p
        handle.inflateInit2_.argtypes = [ctypes.POINTER(ZStream), ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        handle.inflateInit2_.restype = ctypes.c_int
        handle.inflate.argtypes = [ctypes.POINTER(ZStream), ctypes.c_int]
        handle.inflate.restype = ctypes.c_int
        handle.inflateEnd.argtypes = [ctypes.POINTER(ZStream)]
        handle.inflateEnd.restype = ctypes.c_int
        self.version = handle.zlibVersion()

    def inflater(self, wbits):
        return Inflater(self, wbits)


_library = []


def load():
    """The libz Library, loaded once; None when no libz can be loaded with the expected API."""
    if not _library:
        try:
            name = ctypes.util.find_library('z') or 'libz.so.1'
            library = Library(ctypes.CDLL(name))
            # z_stream's layout is what inflateInit2_ checks the size of; 1.x is the ABI described here.
            if not library.version.startswith(b'1.'):
                library = None
        except (OSError, AttributeError):
            library = None
        _library.append(library)
    return _library[0]


def address_of(view):
    """The address of a writable buffer's first byte (a memoryview of a segment or a bytearray)."""
    return ctypes.addressof(ctypes.c_char.from_buffer(view))


class Inflater:
    """One inflate stream; the interface of PythonInflater in _inflate, over libz.

    feed() hands it input that must stay alive and unchanged until it is consumed;
    inflate() writes at most len(out) bytes into out and returns how many it wrote.
    """

    def __init__(self, library, wbits):
        self.library = library
        self.stream = ZStream()
        self.eof = False
        self._input = None
        code = library.handle.inflateInit2_(ctypes.byref(self.stream), wbits, library.version,
                                            ctypes.sizeof(ZStream))
        if code != Z_OK:
            raise ZlibError('inflateInit2 failed: %s' % _MESSAGES.get(code, code))

    def feed(self, data):
        # A reference keeps the buffer, and with it next_in, alive until the next feed.
        self._input = data
        self.stream.next_in = address_of(data) if len(data) else None
        self.stream.avail_in = len(data)

    def has_input(self):
        return self.stream.avail_in > 0

    def unused(self):
        """Input bytes fed but not consumed: after the end of the stream, what follows it."""
        return self.stream.avail_in

    def inflate(self, out):
        stream = self.stream
        stream.next_out = address_of(out)
        stream.avail_out = len(out)
        code = self.library.handle.inflate(ctypes.byref(stream), Z_NO_FLUSH)
        if code == Z_STREAM_END:
            self.eof = True
        elif code not in (Z_OK, Z_BUF_ERROR):
            message = stream.msg.decode('ascii', 'replace') if stream.msg else _MESSAGES.get(code, code)
            raise ZlibError('Error %d while decompressing data: %s' % (code, message))
        return len(out) - stream.avail_out

    def close(self):
        if self.stream.state:
            self.library.handle.inflateEnd(ctypes.byref(self.stream))
            self.stream.state = None
        self._input = None

    def __del__(self):
        self.close()
