# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pyasmt's arguments: getopt, and ASMT's checks in ASMT's order (the process-level tests are in test_cli)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli_arguments as args

__metaclass__ = type


def test_bundled_short_options_and_long_prefixes():
    opts = args.parse(['-bzc', '-i1', '--pa=/b', '--namesp', 'a,b', '-t', '4'], 'pyasmt')
    assert (opts.backup, opts.compress, opts.crc, opts.instance, opts.path, opts.namespaces, opts.threads) == (
        True, True, True, '1', '/b', 'a,b', '4')
    with pytest.raises(args.GetoptError) as caught:
        args.parse(['--ver'], 'pyasmt')
    assert "option '--ver' is ambiguous" in str(caught.value)


@pytest.mark.parametrize('argv, message, hint', [
    (['-b', '-r', '-p', 'x'], "Must specify exactly one of backup ('-b') or restore ('-r').", None),
    (['-b'], "Must specify pathname of file directory (use '-p').", None),
    (['-b', '-p', 'x', '-i', '16'], "Instance must be from 0..15 (use '-i').", "Got '16'."),
    (['-b', '-p', 'x', '-i', '65535'], "Instance must be from 0..15 (use '-i').",
     "Instance 65535 (ASMT's 'any instance') is not supported: run once per instance."),
    (['-b', '-p', 'x', '-t', 'many'], "Max threads must be in the range 1..1024 (use '-t').", "Got 'many'."),
])
def test_checks_in_asmt_order(argv, message, hint):
    with pytest.raises(args.ArgumentError) as caught:
        args.check(args.parse(argv, 'pyasmt'), lambda text: None)
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_needless_options_warn_and_defaults():
    said = []
    assert args.check(args.parse(['--verify', '-c', '-z', '-p', 'x', '-t', '65535'], 'pyasmt'), said.append) == (None, None)
    assert said == ["Unnecessary to specify crc32 checking ('-c') with verify ('--verify'): it always checks.",
                    "Unnecessary to specify compress ('-z') with verify ('--verify')."]
    assert args.check(args.parse(['-r', '-p', 'x', '-i', '3', '-t', '2'], 'pyasmt'), said.append) == (3, 2)
