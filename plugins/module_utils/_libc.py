# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The one handle on the C library, with the signatures of every function the core calls in it.

Declared argument and result types matter: without them ctypes passes a 64-bit size or
address as a C int and truncates it, and shmat's (void *) -1 comes back as a wrong integer.
"""

from __future__ import absolute_import, division, print_function

import ctypes
import ctypes.util
import os

__metaclass__ = type

_SIGNATURES = {
    'shmget': ([ctypes.c_int, ctypes.c_size_t, ctypes.c_int], ctypes.c_int),
    'shmat': ([ctypes.c_int, ctypes.c_void_p, ctypes.c_int], ctypes.c_void_p),
    'shmdt': ([ctypes.c_void_p], ctypes.c_int),
    'shmctl': ([ctypes.c_int, ctypes.c_int, ctypes.c_void_p], ctypes.c_int),
    'madvise': ([ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int),
    'mmap': ([ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int64],
             ctypes.c_void_p),
    'munmap': ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_int),
    'sync_file_range': ([ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint], ctypes.c_int),
}

_libc = None


def libc():
    """The C library, loaded once, with errno kept for ctypes.get_errno()."""
    global _libc  # pylint: disable=global-statement
    if _libc is None:
        handle = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
        for name, (argtypes, restype) in _SIGNATURES.items():
            # sync_file_range is Linux-only and absent from some C libraries: callers check.
            if hasattr(handle, name):
                function = getattr(handle, name)
                function.argtypes = argtypes
                function.restype = restype
        _libc = handle
    return _libc


def errno_error():
    """The OSError of the last failed call, with its errno, as the os module raises them."""
    code = ctypes.get_errno()
    return OSError(code, os.strerror(code))
