# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The request: what a caller asks of the core (instance, namespaces, threads, folder), checked once.

Backup, restore, verify, the facts shm_info gathers and the removals each build one Request
before they look at anything, so every entry point (the modules, pyasmt, the boot-restore
service) gets the same rules and the same messages. A Request is a tuple: it cannot change
after the checks.
"""

from __future__ import absolute_import, division, print_function

import collections
import os

from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import (
    default_threads,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    UsageError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    INSTANCE_MAX,
    NSID_MAX,
    NSID_MIN,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._layout import (
    NAME_SIZE,
    encode_name,
)

__metaclass__ = type

MAX_THREADS = 1024


def check_namespace(name):
    """Raise UsageError unless name can be an Aerospike namespace name."""
    if not isinstance(name, str) or not name:
        raise UsageError('a namespace name must be a non-empty string, got %r' % (name,))
    if '\0' in name:
        raise UsageError('namespace name %r contains a NUL byte' % name)
    if len(encode_name(name)) > NAME_SIZE:
        raise UsageError("namespace name '%s' is longer than the %d bytes Aerospike stores" % (name, NAME_SIZE))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_instance(instance):
    if not _is_int(instance) or not 0 <= instance <= INSTANCE_MAX:
        raise UsageError('Instance must be from 0..%d, got %r' % (INSTANCE_MAX, instance))
    return instance


def check_nsid(nsid):
    if not _is_int(nsid) or not NSID_MIN <= nsid <= NSID_MAX:
        raise UsageError('Namespace id must be from %d..%d, got %r' % (NSID_MIN, NSID_MAX, nsid))
    return nsid


def check_threads(threads):
    """Workers: one per CPU when None."""
    if threads is None:
        return default_threads()
    if not _is_int(threads) or not 1 <= threads <= MAX_THREADS:
        raise UsageError('Max threads must be in the range 1..%d, got %r' % (MAX_THREADS, threads))
    return threads


def _namespaces(namespaces, required, unique=True):
    """A list of checked names. Where a run acts on each (unique), a repeated name is refused:
    it would be done twice; a filter just keeps it once."""
    if isinstance(namespaces, str):
        namespaces = [namespaces]
    namespaces = list(namespaces or [])
    if required and not namespaces:
        raise UsageError('name at least one namespace')
    for name in namespaces:
        check_namespace(name)
    repeated = sorted(set(n for n in namespaces if namespaces.count(n) > 1))
    if repeated and not unique:
        return [n for i, n in enumerate(namespaces) if n not in namespaces[:i]]
    if repeated:
        raise UsageError('namespace %s is listed more than once' % ', '.join("'%s'" % n for n in repeated))
    return namespaces


def _path(path):
    if not path:
        raise UsageError('a folder path is required')
    return os.path.abspath(path)


class Request(collections.namedtuple('Request', 'namespaces instance threads path')):
    """namespaces: a list (empty: all there are); instance: an int, or None for every instance;
    threads: workers; path: the absolute folder, or None where no folder is involved."""

    __slots__ = ()

    @classmethod
    def operation(cls, path, namespaces, instance=0, threads=None):
        """A backup or a restore: one folder, one instance, at least one namespace."""
        namespaces = _namespaces(namespaces, required=True)
        return cls(namespaces, check_instance(instance), check_threads(threads), _path(path))

    @classmethod
    def verify(cls, path, namespaces=None, instance=None, threads=None):
        """A verify: one folder; without namespaces or an instance, every backup in it."""
        namespaces = _namespaces(namespaces, required=False)
        if instance is not None:
            check_instance(instance)
        return cls(namespaces, instance, check_threads(threads), _path(path))

    @classmethod
    def facts(cls, instance=None, namespaces=None):
        """What shm_info describes: every instance and namespace unless told which."""
        if instance is not None:
            check_instance(instance)
        return cls(_namespaces(namespaces, required=False, unique=False), instance, None, None)

    @classmethod
    def removal(cls, namespace, instance=0):
        """The segments of one namespace of one instance."""
        check_namespace(namespace)
        return cls([namespace], check_instance(instance), None, None)
