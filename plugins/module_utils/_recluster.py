# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""One ``recluster:`` that the principal takes, so that the quiesce of a whole batch applies at once.

Only the principal acts on ``recluster:`` (``ok``); every other node answers
``ignored-by-non-principal``. A principal that declines answers ``ERROR`` (``ERROR::unknown`` from
7.2), which means "not now, ask again". The nodes are asked in turn, the likely principal first,
until one says ``ok``.
"""

from __future__ import absolute_import, division, print_function

import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _asinfo

__metaclass__ = type

OK = 'ok'


def _ask(asinfo):
    try:
        return asinfo.ask('recluster:')
    except _asinfo.AsinfoError as exc:
        return 'no answer (%s)' % exc


def recluster(asinfos, first=None, timeout=60, interval=1.0, clock=time.time, sleep=time.sleep):
    """(name of the node that took it or None, {name: last reply}) after asking ``asinfos`` ({name: Asinfo}) in turn."""
    order = sorted(asinfos, key=lambda name: (name != first, name))
    start, replies = clock(), {}
    while True:
        for name in order:
            replies[name] = _ask(asinfos[name])
            if replies[name] == OK:
                return name, replies
        if clock() - start >= timeout:
            return None, replies
        sleep(interval)
