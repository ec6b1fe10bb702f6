# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The kernel limits a restore needs: one rule for the restore plan, shm_restore, shm_info and the roles.

System V shared memory is bounded by three values per IPC namespace, which reset at boot:
kernel.shmmax (bytes: the largest one segment may be), kernel.shmall (pages: all segments
together, each rounded up to whole pages) and kernel.shmmni (the number of segments).
Aerospike raises them only when asd starts, which is after a restore, so the restore must
fit in what the kernel allows before that.

A restore creates its segments beside the ones that stay. A segment present now with the
key of one to create is not counted: it goes before the restore creates that key (what a
killed restore left is removed first; asd's live set is gone after the stop and reboot
that a restore follows), and counting it twice would refuse a restore that fits.
"""

from __future__ import absolute_import, division, print_function

import os

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv

__metaclass__ = type


def page_size():
    return os.sysconf('SC_PAGE_SIZE')


class Needs:
    """What creating some segments beside those present takes, and the limits that allows it."""

    def __init__(self, create, entries, page=None):
        """create: (key, size) of each segment to create; entries: the segments present (_sysv entries)."""
        self.page = page or page_size()
        keys = set(key for key, _size in create)
        self.create = list(create)
        self.present = [entry for entry in entries if entry.key not in keys]
        self.largest = max(self.create, key=lambda pair: pair[1]) if self.create else None
        self.used_pages = sum(_sysv.pages(entry.size, self.page) for entry in self.present)
        self.need_pages = sum(_sysv.pages(size, self.page) for _key, size in self.create)
        self.need_bytes = sum(size for _key, size in self.create)

    def limits(self):
        """The values kernel.shmmax, kernel.shmall and kernel.shmmni must at least have."""
        return {
            'shmmax': self.largest[1] if self.largest else 0,
            'shmall': self.used_pages + self.need_pages,
            'shmmni': len(self.present) + len(self.create),
        }

    def shortfalls(self, kernel):
        """One sentence per limit of kernel (shmmax, shmall, shmmni) that is too low, saying the sysctl to run."""
        out = []
        if self.largest and self.largest[1] > kernel['shmmax']:
            out.append('kernel.shmmax is %d, below the largest segment (0x%08x, %d bytes): run sysctl -w kernel.shmmax=%d'
                       % (kernel['shmmax'], self.largest[0], self.largest[1], self.largest[1]))
        if self.used_pages + self.need_pages > kernel['shmall']:
            out.append('kernel.shmall is %d pages, short of the %d in use plus %d needed: run sysctl -w kernel.shmall=%d'
                       % (kernel['shmall'], self.used_pages, self.need_pages, self.used_pages + self.need_pages))
        if len(self.present) + len(self.create) > kernel['shmmni']:
            out.append('kernel.shmmni is %d, short of the %d segments in use plus %d needed: run sysctl -w kernel.shmmni=%d'
                       % (kernel['shmmni'], len(self.present), len(self.create), len(self.present) + len(self.create)))
        return out


def required_limits(create, entries, page=None):
    """The kernel.shm* values that creating create ((key, size) pairs) beside entries needs."""
    return Needs(create, entries, page).limits()
