# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles against a simulated fleet: one molecule scenario per test (extensions/molecule/).

Each scenario boots its own fleet (sim/fleet.py) on its own ports, runs playbooks/rolling_reboot.yml
and checks the hosts in verify.yml, then tears the fleet down. Also checks that every role's
defaults and argument spec agree, as ansible-core validates only the spec.
"""

from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
ROLES = os.path.join(ROOT, 'roles')
SCENARIOS = ('fleet', 'check', 'resume', 'cold', 'slowstop')


def _molecule(scenario):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='1', NO_COLOR='1',
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.venv', 'collections'), PY_COLORS='0')
    return subprocess.run([os.path.join(BIN, 'molecule'), 'test', '-s', scenario], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, check=False)


@pytest.mark.skipif(not os.access(os.path.join(BIN, 'molecule'), os.X_OK), reason='molecule is not installed')
@pytest.mark.parametrize('scenario', SCENARIOS)
def test_scenario(scenario):
    result = _molecule(scenario)
    output = result.stdout.decode('utf-8', 'replace')
    assert result.returncode == 0, 'molecule test -s %s failed (rc %d):\n%s' % (scenario, result.returncode, output[-12000:])


def _role_names():
    return sorted(name for name in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, name)))


@pytest.mark.parametrize('role', _role_names())
def test_defaults_match_argument_specs(role):
    with open(os.path.join(ROLES, role, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle) or {}
    with open(os.path.join(ROLES, role, 'meta', 'argument_specs.yml')) as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    options = specs['main']['options']
    assert sorted(defaults) == sorted(options), 'defaults and the main spec of %s name different variables' % role
    for name, value in defaults.items():
        assert options[name].get('default') == value, '%s: default %r, spec says %r' % (name, value, options[name].get('default'))
        assert 'type' in options[name] and options[name].get('description'), '%s needs a type and a description' % name
        assert name.startswith(role + '_'), '%s lacks the role prefix %s_' % (name, role)
    # Every entry point accepts what main accepts, so a preflight can be handed the same vars.
    for entry, spec in specs.items():
        assert 'preflight' in specs, '%s has no preflight entry point' % role
        assert set(spec['options']) == set(options), '%s entry point %s takes other options than main' % (role, entry)
