# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""This host: its boot id, its name, and the time as manifests, journals and reports write it.

The boot id is what tells a backup made before a reboot from one made after it: the segments
of the first are gone, those of the second may still be in memory.
"""

from __future__ import absolute_import, division, print_function

import socket
import time

__metaclass__ = type

BOOT_ID = '/proc/sys/kernel/random/boot_id'


def boot_id(path=BOOT_ID):
    """This boot's id; it changes at every reboot, so it tells whether one happened."""
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def hostname():
    return socket.gethostname()


def now_iso(epoch=None):
    """UTC, ISO 8601, to the second: now, or the time epoch gives."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() if epoch is None else epoch))
