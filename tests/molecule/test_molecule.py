# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles against fleets of Debian hosts: one molecule scenario per test (extensions/molecule/).

Each scenario boots its own fleet (sim/fleet.py) on its own ports and folder, runs
playbooks/rolling_reboot.yml and checks the hosts in verify.yml, then powers the fleet off. Most of
a scenario's time is spent waiting (reboots, gates, migrations), so the scenarios start in the
background as soon as the session has collected them (tests/conftest.py), a few at a time, and each
test waits for its own. Also checks that every role's defaults and argument spec agree, as
ansible-core validates only the spec.
"""

from __future__ import absolute_import, division, print_function

import os
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
ROLES = os.path.join(ROOT, 'roles')
# Longest first, so that the last to finish started early.
SCENARIOS = ('racks', 'racksc', 'rackfail', 'slowstop', 'resume', 'fleet', 'cold', 'check')
# Scenarios at once: each mostly waits, but Ansible's forks need CPU on a 2-core machine.
AT_ONCE = 3
MOLECULE = os.path.join(BIN, 'molecule')


def _molecule(scenario):
    # Before each scenario molecule installs the collection under test into ~/.ansible/collections;
    # scenarios running at once raced there ("Directory not empty"). A home of its own per scenario
    # gives each its own install and cache.
    home = os.path.join(tempfile.gettempdir(), 'fastrestart-molecule-home', scenario)
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='1', NO_COLOR='1',
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.venv', 'collections'), PY_COLORS='0',
               HOME=home, ANSIBLE_HOME=os.path.join(home, '.ansible'))
    return subprocess.run([MOLECULE, 'test', '-s', scenario], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, check=False)


class Background:
    """Scenarios running in threads, AT_ONCE at a time; result(name) waits for one."""

    def __init__(self):
        self._results = {}
        self._threads = {}
        self._slots = threading.Semaphore(AT_ONCE)

    def start(self, names):
        for name in names:
            if name not in self._threads:
                self._threads[name] = threading.Thread(target=self._run, args=(name,), daemon=True)
                self._threads[name].start()

    def _run(self, name):
        with self._slots:
            try:
                self._results[name] = _molecule(name)
            except subprocess.TimeoutExpired as exc:
                self._results[name] = subprocess.CompletedProcess(exc.cmd, -1, exc.output or b'timed out')

    def result(self, name):
        self.start([name])
        self._threads[name].join()
        return self._results[name]


BACKGROUND = Background()


def start_in_background(names):
    """Called once collection is done: start the scenarios that the session will check."""
    if os.access(MOLECULE, os.X_OK):
        BACKGROUND.start([name for name in SCENARIOS if name in names])


@pytest.mark.skipif(not os.access(MOLECULE, os.X_OK), reason='molecule is not installed')
@pytest.mark.parametrize('scenario', SCENARIOS)
def test_scenario(scenario):
    result = BACKGROUND.result(scenario)
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
