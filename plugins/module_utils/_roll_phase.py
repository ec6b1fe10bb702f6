# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Where a host stands in a roll's cycle, from what it shows: asd running or not, segments in shared
memory, and its backup folders (shm_info's description, newest first).

- ``done``: asd runs and this roll's named folder holds a complete backup from an earlier boot.
- ``full``: asd runs: the whole cycle, into a new folder.
- ``restore``: asd is down and the newest backup is complete and either from an earlier boot or
  the segments are gone: the reboot happened, so restore that backup.
- ``backup``: asd is down with segments in memory: it stopped cleanly earlier, back up next.
- ``lost``: asd is down, the segments are gone, and no complete backup is left: a cold start.

A backup folder is written once, since an older one may hold other segments: a new cycle that
finds its name taken adds the time to it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PHASES = ('done', 'full', 'restore', 'backup', 'lost')


def _newest(backups):
    """The newest backup complete or interrupted: an interrupted one after a complete one makes that one stale."""
    for backup in backups:
        if backup.get('state') in ('complete', 'in_progress'):
            return backup
    return {}


def _restorable(newest, live):
    return newest.get('state') == 'complete' and (newest.get('same_boot') is False or not live)


def _phase(running, live, newest, done_before):
    if running:
        return 'done' if done_before else 'full'
    if _restorable(newest, live):
        return 'restore'
    return 'backup' if live else 'lost'


def decide(info, running, cycle, backup_root, named_cycle, clock_suffix):
    """{'phase', 'folder', 'bytes', 'boot_before'} of a host.

    ``info`` is shm_info's return (namespaces, backups newest first, boot_id); ``cycle`` the name
    the operator gave (empty: a new roll), ``named_cycle`` the name this roll uses, and
    ``clock_suffix`` what a taken folder name gets appended.
    """
    live = info.get('namespaces') or []
    backups = info.get('backups') or []
    newest = _newest(backups)
    named = '%s/%s' % (backup_root.rstrip('/'), named_cycle)
    done_before = bool(cycle) and any(
        backup.get('path') == named and backup.get('state') == 'complete' and backup.get('same_boot') is False
        for backup in backups)
    phase = _phase(running, live, newest, done_before)
    if not running and _restorable(newest, live):
        folder = newest['path']
    elif named not in [backup.get('path') for backup in backups]:
        folder = named
    else:
        folder = '%s-%s' % (named, clock_suffix)
    size = sum(int(ns.get('bytes') or 0) for ns in live) if live else int(newest.get('bytes') or 0)
    return dict(phase=phase, folder=folder, bytes=size, boot_before=info.get('boot_id'))
