# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pyasmt's text: ASMT's times and tables, and where lines go (the sentences are tested through test_cli)."""

from __future__ import absolute_import, division, print_function

import io

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli_text as text

__metaclass__ = type


def test_times_and_sizes_as_asmt_prints_them():
    assert [text.elapsed_text(s) for s in (0.05, 61.25, 3723.9)] == ['0.0s', '1m:1.2s', '1h:2m:3.9s']
    assert [text.size_text(n) for n in (512, 1536, 3 << 30)] == ['512 B', '1.50 KiB', '3.00 GiB']


def test_verbose_text_goes_to_stderr_under_json():
    out, err = io.StringIO(), io.StringIO()
    output = text.Output(out, err, True, True)
    output.info('table')
    output.error('problem')
    assert out.getvalue() == '' and err.getvalue() == 'table\nproblem\n'
