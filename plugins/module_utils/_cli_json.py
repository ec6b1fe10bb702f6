# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""pyasmt --json: exactly one document on stdout, the plan and the result, also on failure."""

from __future__ import absolute_import, division, print_function

import json

from ansible_collections.fastrestart.aerospike.plugins.module_utils._result import (
    rate,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._version import (
    VERSION,
)

__metaclass__ = type


def document(run, status):
    """The document of a finished run (_cli.Run): what was asked, planned and done, and the verdict."""
    result = dict(run.result or {})
    seconds = result.get('seconds')
    nbytes = result.get('bytes', 0)
    outcome = run.outcome
    opts = run.opts
    doc_result = {
        'ok': status == 0,
        'changed': bool(result.get('changed', False)),
        'exit_status': status,
        'analyze': bool(opts and opts.analyze),
        'bytes': nbytes,
        'seconds': seconds,
        'gbps': result.get('gb_per_s', rate(nbytes, seconds or 0)),
        'message': outcome.message or ('ok' if status == 0 else 'failed'),
        'error': outcome.error,
        'namespaces': list(result.get('namespaces', [])) + [
            {'namespace': name, 'state': 'refused', 'error': message} for name, message in outcome.invalid],
        'invalid_namespaces': [dict(name=name, message=message) for name, message in outcome.invalid],
    }
    if outcome.command:
        doc_result['command'] = outcome.command
    return {
        'tool': 'pyasmt',
        'version': VERSION,
        'asmt_compatible': run.asmt_version,
        'argv': [run.prog] + run.argv,
        'operation': None if opts is None or not (opts.backup or opts.restore or opts.verify) else opts.operation,
        'plan': None if run.plan is None else run.plan.to_dict(),
        'result': doc_result,
    }


def write(stream, doc):
    """One JSON document; a closed pipe loses it quietly, as it would lose any output."""
    try:
        stream.write(json.dumps(doc, indent=2, sort_keys=True, default=str) + '\n')
        stream.flush()
    except (IOError, OSError, ValueError):
        pass
