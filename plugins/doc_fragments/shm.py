# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The options backup, restore and verify share, and what every module needs on the host.
    DOCUMENTATION = r'''
options:
  instance:
    description:
      - The Aerospike server instance whose segments are meant (asd's C(--instance), bits 23..20 of every key).
    type: int
    default: 0
  namespaces:
    description:
      - Names of the namespaces, as in C(aerospike.conf). Each namespace is an independent set of segments
        and an independent backup, as in ASMT.
    type: list
    elements: str
  path:
    description:
      - The backup folder. Segment files use ASMT's names (C(ae001000.dat), C(ad001000.dat.gz)), so C(asmt -r)
        restores a folder this collection wrote and the other way round.
    type: path
  threads:
    description:
      - Worker threads for copying, compressing and checksumming.
      - Defaults to the number of CPUs this process may run on.
    type: int
requirements:
  - Python 3.8 or later on the managed host; no third-party library is required
  - sysv_ipc (Python library) on the managed host, optional; used when present, otherwise the C library through
    Python's ctypes. The environment variable E(FASTRESTART_SYSV_BACKEND) (V(sysv_ipc) or V(ctypes)) chooses one
  - isal (Python library) on the managed host, optional; it makes compression and CRC-32 about ten times faster
notes:
  - The modules work on System V shared memory of the IPC namespace they run in; run them as root.
  - Aerospike keys and ASMT's file format are described in the collection's README.
attributes:
  platform:
    support: full
    platforms: posix
    details:
      - Linux only, System V shared memory as listed in C(/proc/sysvipc/shm).
'''

    # What every module needs on the host, for modules without the shared options.
    HOST = r'''
requirements:
  - Python 3.8 or later on the managed host; no third-party library is required
  - sysv_ipc (Python library) on the managed host, optional; used when present, otherwise the C library through
    Python's ctypes. The environment variable E(FASTRESTART_SYSV_BACKEND) (V(sysv_ipc) or V(ctypes)) chooses one
notes:
  - The modules work on System V shared memory of the IPC namespace they run in; run them as root.
attributes:
  platform:
    support: full
    platforms: posix
    details:
      - Linux only, System V shared memory as listed in C(/proc/sysvipc/shm).
'''

    # Modules that only read: check mode changes nothing about them.
    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    details:
      - This module is read only and operates the same regardless of check mode.
  diff_mode:
    support: none
'''

    ACTION_GROUP = r'''
attributes:
  action_group:
    support: full
    membership:
      - fastrestart.aerospike.shm
'''
