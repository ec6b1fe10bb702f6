# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Exceptions of the core. Each carries a readable message and a dict of facts.

The modules turn them into fail_json(msg=..., **facts) and the command line prints the
message, so a failure carries the same structured data as a result does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ShmError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, msg, **facts):
        super(ShmError, self).__init__(msg)
        self.msg = msg
        self.facts = facts


class UsageError(ShmError):
    """The request itself is wrong (an option out of range, a bad namespace name)."""


class MissingLibraryError(ShmError):
    """A third-party library (sysv_ipc) that this run needs cannot be imported; reason says why it is needed."""

    def __init__(self, library, traceback_text=None, reason=None):
        super(MissingLibraryError, self).__init__(
            'the Python library %s is required%s; install it (pip install %s) on the host'
            % (library, ' (%s)' % reason if reason else '', library),
            library=library)
        self.library = library
        self.reason = reason
        self.traceback = traceback_text


class RefusedError(ShmError):
    """The plan found reasons not to run. Nothing was changed."""


class ExecutionError(ShmError):
    """The run failed part-way. Everything it created has been removed; the source is untouched."""


class IntegrityError(ShmError):
    """Contents do not match what they must be: a CRC, a size, a truncated or malformed stream."""


class Interrupted(ExecutionError):
    """A signal (SIGTERM, SIGINT, SIGHUP) stopped the run; what it had begun was removed."""
