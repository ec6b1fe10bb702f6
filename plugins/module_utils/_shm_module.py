# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""What the modules share: the module class, the common options, and the mapping of the
core's plans, results and errors to exit_json / fail_json. The only file that imports Ansible.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import copy
import os
import traceback

from ansible.module_utils.basic import (
    AnsibleModule,
    missing_required_lib,
)

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    interruptible,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    folder_entries,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    MissingLibraryError,
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._info import (
    TYPE_NAMES,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    decode,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    READY,
)

__metaclass__ = type

COMMON_OPTIONS = {
    'instance': {'type': 'int', 'default': 0},
    'namespaces': {'type': 'list', 'elements': 'str'},
    'path': {'type': 'path'},
    'threads': {'type': 'int'},
}


def common_argument_spec(*names):
    """A new copy of the common options (all of them, or those named)."""
    return dict((name, copy.deepcopy(spec)) for name, spec in COMMON_OPTIONS.items() if not names or name in names)


def check_sysv_backend(module):
    """fail_json when FASTRESTART_SYSV_BACKEND names a backend that cannot run here.

    No library is required: sysv_ipc is used where installed, else the C library through
    ctypes. Only an operator's explicit choice can be missing, and it fails every module the
    same way before anything is looked at.
    """
    try:
        return _sysv.backend_name()
    except ShmError as exc:
        module.fail_error(exc)


def jsonable(value):
    """Facts as JSON types: exceptions may carry tuples, sets or namedtuples."""
    if isinstance(value, dict):
        return dict((str(k), jsonable(v)) for k, v in value.items())
    if hasattr(value, '_asdict'):
        return jsonable(value._asdict())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def problems(plan):
    """Every problem of a plan as {namespace, code, message, facts}; namespace is None for the whole run."""
    out = []
    for problem in plan.problems:
        out.append(_problem(None, problem))
    for ns_plan in getattr(plan, 'namespaces', []):
        for problem in ns_plan.problems:
            out.append(_problem(ns_plan.namespace, problem))
    return out


def _problem(namespace, problem):
    facts = problem.to_dict()
    return {'namespace': namespace, 'code': facts.pop('code'), 'message': facts.pop('message'), 'facts': facts}


def segment(item, namespace=None):
    """A core segment dict (Item.to_dict, verify verdict) in the modules' shape."""
    key = decode(int(item['key'], 16))
    crc = item.get('crc32')
    return {
        'key': item['key'],
        'type': TYPE_NAMES[key.type_byte],
        'role': key.role,
        'stage': item.get('stage', None if key.stage is None else '0x%03x' % key.stage),
        'size': item['size'],
        'file': item.get('file'),
        'file_size': item.get('file_size'),
        'compressed': item.get('compressed'),
        'crc': crc,
        'crc32': crc,
        'namespace': namespace,
        'instance': key.instance,
    }


def plan_segments(plan):
    return [segment(item.to_dict(), ns.namespace) for ns in plan.namespaces for item in ns.items]


def result_segments(result):
    return [segment(item, ns['namespace']) for ns in result['namespaces'] for item in ns.get('segments', [])]


def manifests(plan, result=None):
    """Manifest paths: those a run wrote or found, or in check mode those it would write."""
    written = dict((ns['namespace'], ns.get('manifest')) for ns in (result or {}).get('namespaces', []))
    out = []
    for ns in plan.namespaces:
        path = written.get(ns.namespace) or ns.manifest_path
        if path is None and ns.state == READY and plan.operation == 'backup':
            path = os.path.join(plan.path, _manifest.manifest_name(ns.instance, ns.namespace))
        if path:
            out.append(path)
    return out


def backup_diff(plan):
    """Files of the folder before and after: a backup only ever adds files."""
    before = []
    if os.path.isdir(plan.path):
        names = folder_entries(plan.path)[0]
        before = sorted(set(names) | set(n for n in os.listdir(plan.path) if _manifest.parse_name(n)))
    after = set(before)
    for ns in plan.namespaces:
        if ns.state == READY and not plan.problems:
            after.update(item.file for item in ns.items)
            after.add(_manifest.manifest_name(ns.instance, ns.namespace))
    # Dicts, not bare lists: Ansible's diff callbacks serialize dicts and expect text otherwise.
    return {'before_header': plan.path, 'after_header': plan.path,
            'before': {'path': plan.path, 'files': before}, 'after': {'path': plan.path, 'files': sorted(after)}}


def restore_diff(plan, entries=None):
    """Keys of the instance's Aerospike segments before and after: a restore only ever adds segments."""
    if entries is None:
        entries = _sysv.list_segments()
    before = sorted('0x%08x' % e.key for e in entries
                    if decode(e.key) is not None and decode(e.key).instance == plan.instance)
    after = set(before)
    for ns in plan.namespaces:
        if ns.state == READY and not plan.problems:
            after.update(item.key.hex for item in ns.items)
    header = 'shared memory, instance %d' % plan.instance
    return {'before_header': header, 'after_header': header,
            'before': {'instance': plan.instance, 'keys': before}, 'after': {'instance': plan.instance, 'keys': sorted(after)}}


class ShmModule(AnsibleModule):
    """AnsibleModule with the System V backend checked and the core's errors mapped."""

    def __init__(self, argument_spec, **kwargs):
        super(ShmModule, self).__init__(argument_spec=argument_spec, **kwargs)
        check_sysv_backend(self)

    @staticmethod
    def argument_spec(common=tuple(COMMON_OPTIONS), **own):
        """The common options named in common, updated with the module's own options."""
        spec = common_argument_spec(*common) if common else {}
        spec.update(own)
        return spec

    def warn_plan(self, plan):
        for warning in getattr(plan, 'warnings', []):
            self.warn(warning)
        for ns_plan in getattr(plan, 'namespaces', []):
            for warning in ns_plan.warnings:
                self.warn("namespace '%s': %s" % (ns_plan.namespace, warning))

    def fail_plan(self, plan, **extra):
        """Refuse with the plan's verdict: the same in check mode as in a real run."""
        self.warn_plan(plan)
        extra.update({'plan': plan.to_dict(), 'problems': problems(plan)})
        self.fail_json(msg=plan.message(), **jsonable(extra))

    def fail_error(self, exc, **extra):
        """A core error: its message, its facts, and what the caller adds (plan, limits)."""
        if isinstance(exc, MissingLibraryError):
            reason = 'because %s' % exc.reason if exc.reason else None
            self.fail_json(msg=missing_required_lib(exc.library, reason=reason), exception=exc.traceback)
        facts = dict(exc.facts)
        facts.update(extra)
        for reserved in ('msg', 'failed', 'changed', 'exception', 'invocation'):
            if reserved in facts:
                facts['error_%s' % reserved] = facts.pop(reserved)
        # A namespace done before another failed has changed the host: say so.
        result = facts.get('result')
        changed = bool(isinstance(result, dict) and result.get('changed'))
        self.fail_json(msg=exc.msg, changed=changed, **jsonable(facts))

    def exit_plan(self, plan, execute, planned_seconds, diff=None, **extra):
        """Check mode (or nothing to do): exit with the plan. Otherwise execute it and exit with the result.

        A refused plan fails the same way in both modes, as ASMT's analyze does: the core never
        branches on check mode, so the dry run and the real one share every decision.
        """
        if not plan.ok:
            self.fail_plan(plan, **extra)
        self.warn_plan(plan)
        out = {
            'changed': plan.changed,
            'path': plan.path,
            'plan': plan.to_dict(),
            'segments': plan_segments(plan),
            'bytes': plan.bytes,
            'seconds': round(planned_seconds, 3),
            'gbps': None,
            'manifests': manifests(plan),
        }
        if diff is not None:
            out['diff'] = diff
        if self.check_mode or not plan.changed:
            self.exit_json(msg=plan.message(), **jsonable(dict(out, **extra)))
        with self.errors(plan=out['plan'], **extra):
            with interruptible():
                result = execute(plan)
        done = [ns['namespace'] for ns in result['namespaces'] if ns.get('state') == 'done']
        out.update({
            'changed': result['changed'],
            'segments': result_segments(result),
            'bytes': result['bytes'],
            'seconds': result['seconds'],
            'gbps': result['gb_per_s'],
            'manifests': manifests(plan, result),
        })
        verb = {'backup': 'backed up %s (%d bytes) to %s', 'restore': 'restored %s (%d bytes) from %s'}[plan.operation]
        msg = verb % (', '.join(done), result['bytes'], plan.path) + ' in %.3f s' % result['seconds']
        if result['gb_per_s']:
            msg += ' (%.3f GB/s)' % result['gb_per_s']
        self.exit_json(msg=msg, **jsonable(dict(out, **extra)))

    @contextlib.contextmanager
    def errors(self, **extra):
        """Turn a core error into fail_json with its facts; anything else also carries a traceback."""
        try:
            yield
        except ShmError as exc:
            self.fail_error(exc, **extra)
        except KeyboardInterrupt:
            self.fail_json(msg='interrupted by a signal: what the run had begun was removed; run the task again to '
                           'finish', **jsonable(extra))
        except Exception as exc:  # pylint: disable=broad-except
            self.fail_json(msg='unexpected error: %s' % (exc,), exception=traceback.format_exc(), **jsonable(extra))
