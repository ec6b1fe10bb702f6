# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Facts gathering on real segments and real folders, without Ansible."""

from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys

import pytest

import shm_sets

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _backup
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _info
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import Request
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    UsageError,
)

__metaclass__ = type

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def backup(path, namespaces=('test',), **kwargs):
    plan = _backup.plan_backup(str(path), list(namespaces), **kwargs)
    plan.raise_if_refused()
    return _backup.execute_backup(plan)


def test_core_files_import_without_ansible():
    code = '\n'.join([
        'import sys',
        'sys.path.insert(0, %r)' % os.path.join(ROOT, 'bin'),
        'import collection_path',
        'collection_path.register(%r)' % ROOT,
        'class Block(object):',
        '    def find_spec(self, name, path=None, target=None):',
        '        if name == "ansible" or name.startswith("ansible."):',
        '            raise ImportError("ansible is blocked")',
        'sys.meta_path.insert(0, Block())',
        'from ansible_collections.fastrestart.aerospike.plugins.module_utils import _info, _removal',
        'print("ok")',
    ])
    out = subprocess.check_output([sys.executable, '-c', code])
    assert out.strip() == b'ok'


def test_kernel_facts_count_every_segment(shm):
    shm.create(0x1234, 10000)          # not Aerospike's, still uses the kernel's limits
    shm.make_set(stages=1)
    facts = _info.kernel_facts(meminfo='/proc/meminfo')
    page = facts['page_size']
    assert facts['segments'] == 4
    assert facts['bytes_in_use'] == 10000 + 3 * 4096
    assert facts['pages_in_use'] == _sysv.pages(10000, page) + 3 * _sysv.pages(4096, page)
    assert facts['mem_available'] > 0
    assert facts['shmmni'] == _sysv.kernel_limits()['shmmni']


def test_mem_available_is_none_without_the_field(tmp_path):
    meminfo = tmp_path / 'meminfo'
    meminfo.write_text(u'MemTotal: 100 kB\n')
    assert _sysv.mem_available(str(meminfo)) is None
    meminfo.write_text(u'MemAvailable:   2048 kB\n')
    assert _sysv.mem_available(str(meminfo)) == 2048 * 1024
    assert _sysv.mem_available(str(tmp_path / 'missing')) is None


def test_namespace_members_takes_everything_of_the_name(shm):
    made = shm.make_set(stages=2, sindex_stages=1, stripes=2, data_nsid=7)
    shm.make_set(nsid=2, name='bar', stages=1, stripes=1)
    # Secondary stages of nsid 1 without... a meta present here; add a stray stage with the base's nsid too.
    stray = shm_sets.key(shm_sets.PRIMARY, 0, 1, 0x105)
    shm.create(stray, 4096)
    members = _info.live_members(0)
    bases, found = _info.namespace_members(members, 'test')
    assert [b.key.key for b in bases] == [made['base']]
    assert sorted(m.key.key for m in found) == sorted(list(made.values()) + [stray])
    assert [m.key.role for m in found][:2] == ['pi-base', 'pi-treex']


def test_namespace_facts_attached_unclean_orphan_unclaimed(shm):
    test = shm.make_set(stages=1, stripes=1)
    shm.make_set(nsid=2, name='bar', stages=1, shutdown=7, version=11)
    shm.make_set(nsid=3, name='orph', stages=1, stripes=2, skip=('base',))
    shm.attach(test['data-0x000'])
    shm.attach(test['data-0x000'])
    found, unclaimed = _info.namespace_facts()
    by_name = dict((n['namespace'], n) for n in found)
    assert by_name['test']['attached'] is True
    assert by_name['test']['pids'] == [os.getpid()]
    data = [s for s in by_name['test']['segments'] if s['role'] == 'data-stage'][0]
    assert data['nattch'] == 2 and data['pids'] == [os.getpid()] and data['type'] == 'data'
    assert by_name['bar']['clean_shutdown'] is False and by_name['bar']['base_version'] == 11
    assert by_name['orph']['orphan'] is True and by_name['orph']['nsid'] == 3
    assert [s['role'] for s in unclaimed] == ['pi-treex', 'pi-stage']
    found, unclaimed = _info.namespace_facts(namespaces=['bar'])
    assert [n['namespace'] for n in found] == ['bar'] and unclaimed == []
    found = _info.namespace_facts(instance=5)[0]
    assert found == []


def test_ambiguous_name_is_reported_without_a_base_header(shm):
    shm.make_set(nsid=1, name='dup', stages=1)
    shm.make_set(nsid=2, name='dup', stages=1)
    found = _info.namespace_facts()[0]
    assert len(found) == 1
    assert found[0]['base_present'] is True and found[0]['base_version'] is None
    assert found[0]['segment_count'] == 6


@pytest.mark.parametrize('instance, namespaces', [(16, None), (-1, None), (True, None), ('0', None)])
def test_filters_are_checked(instance, namespaces):
    with pytest.raises(UsageError):
        Request.facts(instance, namespaces)


def test_backup_facts_complete_then_in_progress(shm, tmp_path):
    shm.make_set(stages=1)
    path = tmp_path / 'b'
    backup(path)
    facts = _info.backup_facts(str(path), current_boot_id='another-boot')
    assert facts['state'] == 'complete'
    assert facts['same_boot'] is False
    assert facts['namespaces'][0]['files'] == ['ae001000.dat', 'ae001001.dat', 'ae001100.dat']
    assert 'epoch' not in facts['namespaces'][0]
    (path / 'fastrestart-i0-test.in-progress').write_text(u'garbage')
    facts = _info.backup_facts(str(path))
    assert facts['state'] == 'in_progress'
    assert facts['namespaces'][0]['marker'].endswith('.in-progress')
    assert _info.backup_facts(str(path), instance=1)['state'] == 'empty'


def test_backup_facts_of_asmt_files_and_odd_paths(shm, tmp_path):
    shm.make_set(stages=1, stripes=1)
    path = tmp_path / 'b'
    backup(path)
    os.unlink(str(path / 'fastrestart-i0-test.manifest.json'))
    facts = _info.backup_facts(str(path))
    assert facts['state'] == 'asmt'
    ns = facts['namespaces'][0]
    assert (ns['namespace'], ns['clean_shutdown'], ns['bytes'], ns['file_bytes']) == ('test', True, 4 * 4096, 4 * 4096)
    not_a_folder = tmp_path / 'file'
    not_a_folder.write_text(u'x')
    facts = _info.backup_facts(str(not_a_folder))
    assert facts['state'] == 'invalid' and facts['exists'] is False and 'not a folder' in facts['error']


def test_gather_has_every_key(shm, tmp_path):
    shm.make_set(stages=1)
    facts = _info.gather(paths=[str(tmp_path)])
    assert set(facts) == {'boot_id', 'hostname', 'kernel', 'namespaces', 'unclaimed_segments', 'backups', 'sysv_backend',
                          'boot_restore', 'required_limits'}
    assert facts['boot_restore'] is None
    assert facts['sysv_backend'] == _sysv.backend_name()
    assert facts['backups'][0]['state'] == 'empty'
