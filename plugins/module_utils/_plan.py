# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The plan: what a backup, restore or verify would do, and every reason it would refuse.

Analyze (ASMT's -a, Ansible's check mode) builds a plan and stops; a real run builds the
same plan and executes it. Nothing else decides what a run does, so a dry run cannot
disagree with a real one.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    RefusedError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    stage_text,
)

__metaclass__ = type

READY = 'ready'                # the run would change something
ALREADY_DONE = 'already_done'  # already in the wanted state: nothing to do (changed=false)
REFUSED = 'refused'            # a problem stops this namespace


class Problem:
    """A reason to refuse: a short code, a message that says what to do, and the facts."""

    def __init__(self, code, message, keys=None, path=None, pids=None):
        self.code = code
        self.message = message
        self.keys = list(keys or [])
        self.path = path
        self.pids = list(pids or [])

    def to_dict(self):
        out = {'code': self.code, 'message': self.message}
        if self.keys:
            out['keys'] = ['0x%08x' % k for k in self.keys]
        if self.path:
            out['path'] = self.path
        if self.pids:
            out['pids'] = self.pids
        return out

    def __repr__(self):
        return 'Problem(%r, %r)' % (self.code, self.message)


def problems_text(problems):
    """The first problem's message, and how many more there are: one sentence for a refusal."""
    first = problems[0].message
    more = len(problems) - 1
    return first if not more else '%s (and %d more problem%s)' % (first, more, 's' if more > 1 else '')


class Refusable:
    """What every plan has: the problems that refuse it (a subclass sets self.problems = [])."""

    def refuse(self, code, message, **facts):
        self.problems.append(Problem(code, message, **facts))


class Item:
    """One segment and the file that holds it, or will.

    What discovery found stays in member and is read through it (key, size, the file
    header's CRC). The other fields are what the plan expects, which may differ from what
    was found: the owner and mode a restore gives the segment (the manifest's, not the
    file's), the segment an equal restore already left (shmid), the file a backup keeps, and
    the manifest's CRC-32 and chunk index. What a run makes goes into its Result
    (_result.Made), never here.
    """

    def __init__(self, member, file, compressed):
        self.member = member
        self.file = file
        self.compressed = compressed
        self.uid = member.uid
        self.gid = member.gid
        self.mode = member.mode
        self.shmid = member.shmid
        self.file_size = member.file_size
        self.expected_crc = None    # the manifest's CRC-32 (None: unknown)
        self.chunk_size = None      # compressed files written by us: the manifest's chunk index
        self.chunk_offsets = None

    @property
    def key(self):
        return self.member.key

    @property
    def size(self):
        return self.member.size

    @property
    def header_crc(self):
        return self.member.header_crc

    def to_dict(self):
        crc = self.expected_crc
        return {
            'key': self.key.hex,
            'type': self.key.role,
            'stage': None if self.key.stage is None else stage_text(self.key.stage),
            'instance': self.key.instance,
            'nsid': self.key.nsid,
            'size': self.size,
            'file': self.file,
            'file_size': self.file_size,
            'compressed': self.compressed,
            'uid': self.uid,
            'gid': self.gid,
            'mode': '0%03o' % self.mode,
            'shmid': self.shmid,
            'crc32': None if crc is None else '0x{0:08x}'.format(crc),
        }


class NamespacePlan(Refusable):
    """The plan for one namespace of one instance: its items, its state and its problems."""

    def __init__(self, operation, namespace, instance):
        self.operation = operation
        self.namespace = namespace
        self.instance = instance
        self.nsid = None
        self.orphan = False
        self.items = []
        self.problems = []
        self.warnings = []
        self.already_done = False
        self.manifest = None        # the loaded manifest document, if any
        self.manifest_path = None
        self.base = None            # BaseHeader of the set's base
        self.meta_n_arenas = None
        self.namespace_set = None
        self.takeover = []          # live segments a killed restore left, removed before this one runs
        self.drift = []             # files whose owner or mode differ from the manifest
        self.stale_files = []       # files a killed backup left, removed before this one runs

    def take_set(self, found):
        """Plan for the segment set found (_segment_set.SegmentSet): its id, orphan or not, base and meta."""
        self.namespace_set = found
        self.nsid = found.nsid
        self.orphan = found.orphan
        if found.base is not None:
            self.base = found.base.base
        if found.meta:
            self.meta_n_arenas = found.meta[0].meta_n_arenas

    @property
    def state(self):
        if self.problems:
            return REFUSED
        return ALREADY_DONE if self.already_done else READY

    @property
    def bytes(self):
        return sum(item.size for item in self.items)

    def to_dict(self):
        return {
            'namespace': self.namespace,
            'instance': self.instance,
            'nsid': self.nsid,
            'orphan': self.orphan,
            'state': self.state,
            'bytes': self.bytes,
            'segments': [item.to_dict() for item in self.items],
            'problems': [p.to_dict() for p in self.problems],
            'warnings': list(self.warnings),
            'manifest': self.manifest_path,
            'base': None if self.base is None else dict(self.base._asdict()),
        }


class Plan(Refusable):
    """A whole request: one folder, one instance, one or more namespaces."""

    def __init__(self, operation, path, instance, threads, codec, compress=False):
        self.operation = operation
        self.path = path
        self.instance = instance
        self.threads = threads
        self.codec = codec
        self.compress = compress
        self.namespaces = []
        self.problems = []          # problems that stop every namespace (folder, kernel limits)
        self.warnings = []
        self.facts = {}
        self.create_folder = False
        self.create_parents = []    # missing parents of the folder that a run creates, top-down
        self.folder = None          # the open, checked backup folder (_folder.Folder) every step goes through
        self.remove_unfinished = False

    def all_problems(self):
        out = list(self.problems)
        for ns in self.namespaces:
            out.extend(ns.problems)
        return out

    @property
    def ok(self):
        return not self.all_problems()

    @property
    def changed(self):
        """True when a run would change something: some namespace is ready and none refused."""
        return self.ok and any(ns.state == READY for ns in self.namespaces)

    def runnable(self):
        """Namespaces a run would act on, when nothing global stops it."""
        if self.problems:
            return []
        return [ns for ns in self.namespaces if ns.state == READY]

    @property
    def bytes(self):
        return sum(ns.bytes for ns in self.namespaces if ns.state != ALREADY_DONE)

    def message(self):
        """One sentence a person can read about the verdict."""
        problems = self.all_problems()
        if problems:
            return problems_text(problems)
        ready = [ns.namespace for ns in self.namespaces if ns.state == READY]
        done = [ns.namespace for ns in self.namespaces if ns.state == ALREADY_DONE]
        verb = {'backup': 'back up', 'restore': 'restore', 'verify': 'verify'}[self.operation]
        parts = []
        if ready:
            parts.append('would %s %s (%d bytes) %s %s' % (
                verb, ', '.join(ready), self.bytes, 'to' if self.operation == 'backup' else 'from', self.path))
        if done:
            outcome = {'backup': 'backed up in %s' % self.path, 'restore': 'restored and equal to the backup',
                       'verify': 'verified'}[self.operation]
            parts.append('%s already %s' % (', '.join(done), outcome))
        return '; '.join(parts) or 'nothing to do'

    def raise_if_refused(self):
        """Raise RefusedError carrying the whole plan when any problem stops the run."""
        if not self.ok:
            raise RefusedError(self.message(), plan=self.to_dict())

    def to_dict(self):
        return {
            'operation': self.operation,
            'path': self.path,
            'instance': self.instance,
            'threads': self.threads,
            'codec': self.codec.name,
            'compress': self.compress,
            'changed': self.changed,
            'ok': self.ok,
            'bytes': self.bytes,
            'namespaces': [ns.to_dict() for ns in self.namespaces],
            'problems': [p.to_dict() for p in self.problems],
            'warnings': list(self.warnings),
            'facts': dict(self.facts),
            'create_folder': self.create_folder,
            'create_parents': list(self.create_parents),
        }
