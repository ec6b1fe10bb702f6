# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each role variable is described once, in meta/argument_specs.yml (tests/molecule/test_molecule.py checks the
defaults against it): the defaults' comments and the READMEs point there instead of describing again."""

from __future__ import absolute_import, division, print_function

import os
import re

import pytest

__metaclass__ = type

ROLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                     'roles')
NAMES = sorted(name for name in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, name)))


@pytest.mark.parametrize('role', NAMES)
def test_defaults_and_readme_point_to_the_argument_specs_instead_of_describing(role):
    with open(os.path.join(ROLES, role, 'defaults', 'main.yml')) as handle:
        comments = [line for line in handle if line.startswith('#')]
    assert comments == ['# Each variable is described once, in meta/argument_specs.yml '
                        '(ansible-doc -t role fastrestart.aerospike.%s).\n' % role]
    with open(os.path.join(ROLES, role, 'README.md')) as handle:
        readme = handle.read()
    assert 'meta/argument_specs.yml' in readme
    prefix = role + '_'
    assert not re.search(r'^\|\s*`?%s' % re.escape(prefix), readme, re.M), 'a variable table in the README'
