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


class Result:
    """The namespaces' summaries in the plan's order, timed from the start of the run.

    fields are extra top-level entries of to_dict() (the instance, codec and threads a run used).
    """

    def __init__(self, plan, **fields):
        self.plan = plan
        self.fields = fields
        self.namespaces = []
        self.started = time.monotonic()

    def add(self, ns_plan, **fields):
        """A new summary for ns_plan, which execute fills in (state first)."""
        summary = {'namespace': ns_plan.namespace, 'instance': ns_plan.instance, 'bytes': ns_plan.bytes}
        summary.update(fields)
        self.namespaces.append(summary)
        return summary

    def to_dict(self, counted=(DONE,)):
        """The result document: bytes and speed count the namespaces whose state is in counted."""
        seconds = time.monotonic() - self.started
        nbytes = sum(s['bytes'] for s in self.namespaces if s.get('state') in counted)
        out = {
            'operation': self.plan.operation,
            'path': self.plan.path,
            'changed': any(s.get('state') == DONE for s in self.namespaces),
            'namespaces': self.namespaces,
            'bytes': nbytes,
            'seconds': round(seconds, 3),
            'gb_per_s': rate(nbytes, seconds),
        }
        out.update(self.fields)
        return out
