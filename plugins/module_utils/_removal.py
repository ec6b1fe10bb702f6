# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Remove one namespace's segments from shared memory: plan, then execute.

This is what makes room for a restore over stale segments, so it must never take more than
the one namespace, and never a segment that a process (asd) still uses: removing an attached
segment hides its key at once and the server would lose its index at the next start.

A restore killed before it filled its base leaves a set with no name to find it by (the base
is still zeros); such an unfinished set is found by its namespace id instead, and only while
its base proves it unfinished.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    live_members,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._info import (
    namespace_members,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    Refusable,
    problems_text,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._refusals import (
    refuse_attached,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    Request,
    check_instance,
    check_nsid,
)

__metaclass__ = type


class RemovalPlan(Refusable):
    """The segments a removal would take, and every reason it would refuse.

    Not a Plan: a removal has no folder, files or namespaces' sets, only one namespace's
    segments; it shares the refusals and their sentence with every plan.
    """

    def __init__(self, namespace, instance, nsid=None):
        self.operation = 'remove'
        self.namespace = namespace
        self.instance = instance
        self.nsid = nsid
        self.members = []
        self.problems = []

    @property
    def ok(self):
        return not self.problems

    @property
    def changed(self):
        return self.ok and bool(self.members)

    @property
    def bytes(self):
        return sum(m.size for m in self.members)

    @property
    def what(self):
        if self.namespace is None:
            return 'the unfinished set of namespace id %d' % self.nsid
        return "namespace '%s'" % self.namespace

    def segments(self):
        return [{'key': m.key.hex, 'size': m.size, 'role': m.key.role} for m in self.members]

    def message(self):
        if self.problems:
            return problems_text(self.problems)
        if not self.members:
            return 'no segments of %s in instance %d: nothing to remove' % (self.what, self.instance)
        return 'would remove %d segments (%d bytes) of %s in instance %d' % (
            len(self.members), self.bytes, self.what, self.instance)

    def to_dict(self):
        return {
            'operation': self.operation,
            'namespace': self.namespace,
            'nsid': self.nsid,
            'instance': self.instance,
            'changed': self.changed,
            'ok': self.ok,
            'bytes': self.bytes,
            'segments': self.segments(),
            'problems': [p.to_dict() for p in self.problems],
        }


def plan_removal(namespace, instance=0, entries=None):
    """What removing namespace's segments of instance would do. Changes nothing."""
    Request.removal(namespace, instance)
    if entries is None:
        entries = _sysv.list_segments()
    plan = RemovalPlan(namespace, instance)
    members = live_members(instance, entries)
    bases, found = namespace_members(members, namespace)
    if len(bases) > 1:
        plan.refuse('ambiguous', "found %d base segments named '%s' in instance %d (%s): cannot tell which set is the "
                    "namespace's; remove the stale one with ipcrm -M <key>"
                    % (len(bases), namespace, instance, ', '.join(m.key.hex for m in bases)),
                    keys=[m.key.key for m in bases])
    _refuse_attached(plan, found)
    plan.members = found
    return plan


def plan_unfinished_removal(nsid, instance=0, entries=None):
    """What removing the unfinished set of namespace id nsid would do: every segment of that id
    (primary, secondary, data), only when its base is missing or not yet a base. Changes nothing."""
    check_instance(instance)
    check_nsid(nsid)
    if entries is None:
        entries = _sysv.list_segments()
    plan = RemovalPlan(None, instance, nsid=nsid)
    found = [m for m in live_members(instance, entries) if m.key.nsid == nsid]
    named = [m for m in found if m.key.role == BASE and m.base is not None and m.name]
    if named:
        plan.refuse('finished', "the set of namespace id %d in instance %d is not unfinished: its base %s names "
                    "namespace '%s'. Remove it by name (shm_segments namespace=%s state=absent) if that is meant"
                    % (nsid, instance, named[0].key.hex, named[0].name, named[0].name),
                    keys=[m.key.key for m in named])
    _refuse_attached(plan, found)
    plan.members = found
    return plan


def _refuse_attached(plan, members):
    refuse_attached(plan, members, "segments of {what} in instance {instance} are attached: {described}{more}. asd (or "
                    "another process) is using them; stop asd first, or leave them in place", limit=5,
                    what=plan.what, instance=plan.instance)


def execute_removal(plan):
    """Remove the planned segments, checking each again just before: still the same, still unattached."""
    if not plan.ok:
        raise ExecutionError(plan.message(), plan=plan.to_dict())
    now = dict((e.shmid, e) for e in _sysv.list_segments())
    intruders = [m for m in plan.members if m.shmid in now and now[m.shmid].key == m.key.key and now[m.shmid].nattch]
    if intruders:
        raise ExecutionError('segments of %s were attached since the analysis (%s): nothing was removed; '
                             'stop asd and try again' % (plan.what, ', '.join(m.key.hex for m in intruders)),
                             keys=[m.key.hex for m in intruders])
    removed = []
    for member in plan.members:
        entry = now.get(member.shmid)
        # A vanished segment, or its shmid reused by another key, is not ours to remove.
        if entry is None or entry.key != member.key.key:
            continue
        if _sysv.remove_segment(member.shmid):
            removed.append({'key': member.key.hex, 'size': member.size, 'role': member.key.role})
    return {'changed': bool(removed), 'removed': removed, 'bytes': sum(r['size'] for r in removed)}
