# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The refusals several operations share, each built in one place: attached, exists, not found.

Each operation words the advice for its own situation (a backup asks for a clean stop, a
restore says there is nothing to restore); the facts, how they are gathered and the shape of
the sentence are the same for all, so a fix to one is a fix to every operation.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv

__metaclass__ = type


def _key(segment):
    """The key as an int: discovery's members carry a SegmentKey, the kernel's entries an int."""
    return getattr(segment.key, 'key', segment.key)


def refuse_attached(target, segments, sentence, limit=None, **words):
    """Refuse target (a plan or a namespace's plan) when a process has any of segments attached.

    sentence is formatted with words and: described (each key with its pids, or how many
    attach it), keys (the keys alone), pids (every pid, or 'unknown'), more (' ...' when
    limit cut the list). Returns True when it refused.
    """
    attached = [s for s in segments if s.nattch]
    if not attached:
        return False
    pids = _sysv.attaching_pids([s.shmid for s in attached])
    all_pids = sorted(set(p for s in attached for p in pids[s.shmid]))
    shown = attached[:limit] if limit else attached
    described = ', '.join('0x%08x (%s)' % (_key(s), 'pid %s' % ', '.join(str(p) for p in pids[s.shmid])
                                           if pids[s.shmid] else '%d attached' % s.nattch) for s in shown)
    message = sentence.format(described=described, keys=', '.join('0x%08x' % _key(s) for s in shown),
                              pids=', '.join(str(p) for p in all_pids) or 'unknown',
                              more=' ...' if len(attached) > len(shown) else '', **words)
    target.refuse('attached', message, keys=[_key(s) for s in attached], pids=all_pids)
    return True


def refuse_exists(ns_plan, found, cannot, advice, nsid=None, **facts):
    """Refuse a namespace because found (a segment or a file of its set) exists where the run would create it."""
    ns_plan.refuse('exists', "Found existing Aerospike %s with instance %d, namespace '%s' (nsid %d): cannot %s.%s"
                   % (found, ns_plan.instance, ns_plan.namespace, ns_plan.nsid if nsid is None else nsid, cannot,
                      advice), **facts)


def refuse_not_found(ns_plan, what, where='', known=''):
    """Refuse a namespace that has no set to act on; known says what there is instead."""
    ns_plan.refuse('not-found', "Did not find any Aerospike database %s, instance %d, namespace '%s'%s.%s"
                   % (what, ns_plan.instance, ns_plan.namespace, where, known))
