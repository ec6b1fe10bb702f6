# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pyasmt --json: one document, also when the command line itself is wrong."""

from __future__ import absolute_import, division, print_function

import io
import json

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli

__metaclass__ = type


def test_a_usage_error_is_a_document_too():
    out, err = io.StringIO(), io.StringIO()
    assert _cli.main(['--json', '-b'], prog='pyasmt', stdout=out, stderr=err) == 1
    doc = json.loads(out.getvalue())
    assert doc['tool'] == 'pyasmt' and doc['operation'] == 'backup' and doc['plan'] is None
    assert doc['result']['ok'] is False and doc['result']['exit_status'] == 1
    assert doc['result']['error'] == {'type': 'UsageError', 'message': "Must specify pathname of file directory (use '-p')."}
    assert "Must specify pathname" in err.getvalue()
