# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The result: what a run did, built by execute from its plan, one summary per namespace.

A plan says what would happen (ready, already done, refused); a result says what happened.
The words differ on purpose, so that one is never read as the other.
"""

from __future__ import absolute_import, division, print_function

import time

__metaclass__ = type

DONE = 'done'               # this run changed it
UNCHANGED = 'unchanged'     # it was already as wanted: the plan said already done
REFUSED = 'refused'         # the plan refused it: nothing was tried
FAILED = 'failed'           # tried, failed, and cleaned up
VERIFIED = 'verified'       # verify: every file read and matched
DAMAGED = 'damaged'         # verify: a file's contents are wrong
DRIFT = 'drift'             # verify: contents intact, but an owner or mode was changed


def rate(nbytes, seconds):
    """GB/s (10**9 bytes per second), the unit storage is rated in."""
    return round(nbytes / seconds / 1e9, 3) if seconds > 0 else None


class Made:
    """What a run made of one planned segment: the CRC-32 it computed of the contents it wrote
    or filled, the file it wrote (size, chunk index) or the segment it created (shmid).

    The plan's item says what was expected; this says what happened, so the two are never
    confused and the plan stays as it was planned.
    """

    def __init__(self, crc32=None, file_size=None, chunk_size=None, chunk_offsets=None, shmid=None):
        self.crc32 = crc32
        self.file_size = file_size
        self.chunk_size = chunk_size
        self.chunk_offsets = chunk_offsets
        self.shmid = shmid

    def applied(self, segment):
        """segment (an item's to_dict()) with what the run made in place of what was planned."""
        out = dict(segment)
        for field in ('file_size', 'shmid'):
            if getattr(self, field) is not None:
                out[field] = getattr(self, field)
        if self.crc32 is not None:
            out['crc32'] = '0x{0:08x}'.format(self.crc32)
        return out


class NamespaceResult:
    """What a run did with one namespace: its state, its error, and what it made of each segment.

    fields are the extra entries of to_dict() an operation adds (manifest, files, ...).
    """

    def __init__(self, ns_plan, **fields):
        self.plan = ns_plan
        self.state = None
        self.error = None
        self.seconds = None
        self.made = {}          # key -> Made
        self.fields = dict(fields)

    def segments(self):
        """The plan's segments as this run left them."""
        return [self.made[item.key.key].applied(item.to_dict()) if item.key.key in self.made else item.to_dict()
                for item in self.plan.items]

    def to_dict(self):
        out = {'namespace': self.plan.namespace, 'instance': self.plan.instance, 'bytes': self.plan.bytes}
        out.update(self.fields)
        out['state'] = self.state
        if self.error is not None:
            out['error'] = self.error
        if self.seconds is not None:
            out['seconds'] = self.seconds
            out['gb_per_s'] = rate(self.plan.bytes, self.seconds)
        return out


class Result:
    """The namespaces' results in the plan's order, timed from the start of the run.

    fields are extra top-level entries of to_dict() (the instance, codec and threads a run used).
    """

    def __init__(self, plan, **fields):
        self.plan = plan
        self.fields = fields
        self.namespaces = []
        self.started = time.monotonic()

    def add(self, ns_plan, **fields):
        """A new NamespaceResult for ns_plan, which execute fills in."""
        summary = NamespaceResult(ns_plan, **fields)
        self.namespaces.append(summary)
        return summary

    def to_dict(self, counted=(DONE,)):
        """The result document: bytes and speed count the namespaces whose state is in counted."""
        seconds = time.monotonic() - self.started
        namespaces = [summary.to_dict() for summary in self.namespaces]
        nbytes = sum(s['bytes'] for s in namespaces if s['state'] in counted)
        out = {
            'operation': self.plan.operation,
            'path': self.plan.path,
            'changed': any(s['state'] == DONE for s in namespaces),
            'namespaces': namespaces,
            'bytes': nbytes,
            'seconds': round(seconds, 3),
            'gb_per_s': rate(nbytes, seconds),
        }
        out.update(self.fields)
        return out
