# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with given arguments and catch what it exits with.

ansible-core 2.19 reads module arguments through ansible.module_utils.testing.patch_module_args;
older versions read the serialized _ANSIBLE_ARGS, which is set directly there.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None

__metaclass__ = type


class AnsibleExitJson(Exception):
    """exit_json was called; .result holds what the module returned."""

    def __init__(self, result):
        super(AnsibleExitJson, self).__init__(result.get('msg'))
        self.result = result


class AnsibleFailJson(Exception):
    """fail_json was called; .result holds what the module returned."""

    def __init__(self, result):
        super(AnsibleFailJson, self).__init__(result.get('msg'))
        self.result = result


def _serialized(result):
    # A real module prints JSON: anything that cannot be serialized must fail here too.
    return json.loads(json.dumps(result))


def exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault('changed', False)
    kwargs['warnings'] = list(getattr(self, '_test_warnings', []))
    raise AnsibleExitJson(_serialized(kwargs))


def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs['failed'] = True
    kwargs['msg'] = msg
    kwargs['warnings'] = list(getattr(self, '_test_warnings', []))
    raise AnsibleFailJson(_serialized(kwargs))


def warn(self, warning):
    if not hasattr(self, '_test_warnings'):
        self._test_warnings = []
    self._test_warnings.append(warning)


@contextlib.contextmanager
def set_module_args(args):
    """Make args the arguments of AnsibleModule instances created inside the block."""
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


def run_module(monkeypatch, module, args, check_mode=False, diff=False):
    """Call module.main() with args; return (failed, result)."""
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', warn)
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with set_module_args(args):
        try:
            module.main()
        except AnsibleExitJson as exc:
            return False, exc.result
        except AnsibleFailJson as exc:
            return True, exc.result
    raise AssertionError('%s.main() returned without exit_json or fail_json' % module.__name__)


def killed_restore(shm, run, path):
    """Back up a set to path, then leave what a restore killed without its journal leaves (the base and treex,
    still zeros); return the fingerprint that the backup holds."""
    from ansible_collections.fastrestart.aerospike.plugins.modules import shm_backup
    made = shm.make_set(stages=1)
    assert not run(shm_backup, {'path': path, 'namespaces': ['test']})[0]
    wanted = shm.fingerprint()
    shm.remove_all()
    shm.create(made['base'], 4096)
    shm.create(made['treex'], 4096)
    return wanted
