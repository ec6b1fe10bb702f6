# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The segment set of one namespace (docs/asmt-format.md §2) and its completeness rules.

Live segments (backup side) and backup files (restore side) are both described as Members
and grouped by the same code, so the two sides can never decode a set differently.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
    META,
    PI_STAGE,
    SI_STAGE,
    STAGE_MIN,
    TREEX,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._layout import (
    BASE_MIN_SIZE,
    BASE_VERSIONS,
    CLEAN_SHUTDOWN,
    META_MIN_SIZE,
    name_matches,
)

__metaclass__ = type

SEGMENTS = 'segments'
FILES = 'files'


class Member:
    """One segment, or one backup file standing for a segment."""

    def __init__(self, key, size, uid, gid, mode, **extra):
        self.key = key            # SegmentKey
        self.size = size          # segment size in bytes
        self.uid = uid
        self.gid = gid
        self.mode = mode          # permission bits
        self.name = None          # namespace name stored in a base or data stripe
        self.base = None          # BaseHeader of a base
        self.meta_n_arenas = None
        # live segments
        self.shmid = None
        self.nattch = 0
        # files
        self.file = None
        self.compressed = False
        self.file_size = None
        self.header_crc = None    # CRC field of a .dat.gz header
        self.problem = None       # why this file cannot be used, if it cannot
        for attr, value in extra.items():
            setattr(self, attr, value)

    def __repr__(self):
        return 'Member(%s, %s, %d)' % (self.key.hex, self.key.role, self.size)


class SegmentSet:
    """The members of one namespace's index (and data stripes), in ASMT's I/O order."""

    def __init__(self, namespace, instance, nsid, orphan=False):
        self.namespace = namespace
        self.instance = instance
        self.nsid = nsid
        self.orphan = orphan
        self.base = None
        self.treex = []
        self.pi_stages = []
        self.meta = []
        self.si_stages = []
        self.data = []

    def members(self):
        """Base, treex, primary stages, meta, secondary stages, data stripes (docs/asmt-format.md §3.3)."""
        out = []
        if self.base is not None:
            out.append(self.base)
        out.extend(self.treex)
        out.extend(self.pi_stages)
        if self.meta:
            out.extend(self.meta)
            out.extend(self.si_stages)
        out.extend(self.data)
        return out


def _describe(namespace_set):
    return "instance %d, namespace '%s' (nsid %d)" % (namespace_set.instance, namespace_set.namespace, namespace_set.nsid)


def _first_gap(stages):
    """The first stage number missing from a run that must start at 0x100, or None."""
    expected = STAGE_MIN
    for member in stages:
        if member.key.sub != expected:
            return expected
        expected += 1
    # No stage at all is a gap at 0x100 too (docs/asmt-format.md §2.5 rule 2: at least one stage).
    return None if stages else STAGE_MIN


def select(members, namespace, instance):
    """Group members into the set of namespace; return (set or None, [(code, message)]).

    The base is found by its stored name; treex, stages and meta by the base's nsid; data
    stripes by their own stored name, whatever their nsid (docs/asmt-format.md §2.1). With no base of that
    name at all, attached or not, the data stripes of that name form an orphan set (2.6).
    """
    problems = []
    bases = [m for m in members if m.key.role == BASE and name_matches(m.name, namespace)]
    data = sorted((m for m in members if m.key.role == DATA and name_matches(m.name, namespace)), key=lambda m: m.key.key)
    if len(bases) > 1:
        problems.append(('ambiguous', "found %d base segments named '%s' in instance %d (%s): keep one namespace per "
                         "name and instance" % (len(bases), namespace, instance, ', '.join(m.key.hex for m in bases))))
        return None, problems
    if not bases:
        if not data:
            return None, problems
        orphan = SegmentSet(namespace, instance, data[0].key.nsid, orphan=True)
        orphan.data = data
        return orphan, problems
    base = bases[0]
    found = SegmentSet(namespace, instance, base.key.nsid)
    found.base = base

    def by_role(role):
        return sorted((m for m in members if m.key.role == role and m.key.nsid == base.key.nsid), key=lambda m: m.key.key)

    found.treex = by_role(TREEX)
    found.pi_stages = by_role(PI_STAGE)
    found.meta = by_role(META)
    found.si_stages = by_role(SI_STAGE)
    found.data = data
    return found, problems


def completeness_problems(namespace_set, side):
    """ASMT's rules 1-3 of docs/asmt-format.md §2.5, worded for segments or for segment files."""
    if namespace_set.orphan:
        return []
    noun = 'segment' if side == SEGMENTS else 'segment file'
    what = _describe(namespace_set)
    problems = []
    if len(namespace_set.treex) != 1:
        problems.append(('incomplete', 'Missing treex %s for %s.' % (noun, what) if not namespace_set.treex else
                         'Too many treex %ss for %s.' % (noun, what)))
    gap = _first_gap(namespace_set.pi_stages)
    if gap is not None:
        problems.append(('incomplete', 'Missing primary stage %s %03x for %s.' % (noun, gap, what)))
    if len(namespace_set.meta) > 1:
        problems.append(('incomplete', 'Too many meta %ss for %s.' % (noun, what)))
    elif namespace_set.meta:
        if not namespace_set.si_stages:
            problems.append(('incomplete', 'No secondary stage %ss for %s.' % (noun, what)))
        else:
            gap = _first_gap(namespace_set.si_stages)
            if gap is not None:
                problems.append(('incomplete', 'Missing secondary stage %s %03x for %s.' % (noun, gap, what)))
    return problems


def backup_sanity_problems(namespace_set):
    """Rule 4 of docs/asmt-format.md §2.5: what the base and meta segments must say before a backup."""
    if namespace_set.orphan:
        return []
    problems = []
    base = namespace_set.base
    header = base.base
    if base.size < BASE_MIN_SIZE or header is None:
        problems.append(('invalid-base', 'Base segment %s is too small.' % base.key.hex))
        return problems
    if header.version not in BASE_VERSIONS:
        problems.append(('invalid-base', 'Invalid version number in base segment %s: expecting version in range %d to %d, '
                         'found version %d.' % (base.key.hex, BASE_VERSIONS[0], BASE_VERSIONS[-1], header.version)))
    if header.shutdown != CLEAN_SHUTDOWN:
        problems.append(('unclean', 'Shutdown status in base segment %s: expecting status %d, found status %d. asd did not '
                         'shut down cleanly, so this index cannot be used for a fast restart: start asd and stop it '
                         'cleanly (wait for "finished clean shutdown"), then back up again.'
                         % (base.key.hex, CLEAN_SHUTDOWN, header.shutdown)))
    if namespace_set.pi_stages and header.n_arenas != len(namespace_set.pi_stages):
        problems.append(('incomplete', 'Wrong number of primary arena stages: expecting %d, found %d.'
                         % (header.n_arenas, len(namespace_set.pi_stages))))
    if len(namespace_set.meta) == 1 and namespace_set.si_stages:
        meta = namespace_set.meta[0]
        if meta.size < META_MIN_SIZE or meta.meta_n_arenas is None:
            problems.append(('invalid-meta', 'Meta segment %s is too small.' % meta.key.hex))
        elif meta.meta_n_arenas != len(namespace_set.si_stages):
            problems.append(('incomplete', 'Wrong number of secondary arena stages: expecting %d, found %d.'
                             % (meta.meta_n_arenas, len(namespace_set.si_stages))))
    return problems


def restore_sanity_problems(namespace_set, folder):
    """Rule 5 of docs/asmt-format.md §2.5: the base file must be readable, of a known version, and agree on stages."""
    if namespace_set.orphan:
        return []
    base = namespace_set.base
    header = base.base
    if header is None:
        return [('invalid-base', "Could not extract number of arena stages from base segment file '%s/%s'."
                 % (folder, base.file))]
    problems = []
    if header.version not in BASE_VERSIONS:
        problems.append(('invalid-base', "Invalid version number in base segment file '%s/%s': expecting version in range "
                         "%d to %d, found version %d." % (folder, base.file, BASE_VERSIONS[0], BASE_VERSIONS[-1],
                                                          header.version)))
    if header.n_arenas != len(namespace_set.pi_stages):
        problems.append(('incomplete', 'Incorrect number of arena stages found: expecting %d, found %d.'
                         % (header.n_arenas, len(namespace_set.pi_stages))))
    return problems
