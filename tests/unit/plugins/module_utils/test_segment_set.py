# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Grouping members into a namespace's set, and ASMT's completeness and sanity rules (docs/asmt-format.md §2.5, §2.6)."""

from __future__ import absolute_import, division, print_function

import pytest

import shm_sets
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _discovery
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _segment_set as ss
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import decode

__metaclass__ = type

WHAT = "instance 3, namespace 'mini' (nsid 2)"


def member(key, content=None, size=None, **extra):
    """A Member whose name and counts are read from content the way discovery reads them."""
    size = len(content) if size is None else size
    out = ss.Member(decode(key), size, 0, 0, 0o600, **extra)
    if content is not None:
        _discovery._read_headers(out, content)  # pylint: disable=protected-access
    return out


def vector(**changes):
    """The minimal set C ASMT backs up (instance 3, nsid 2, 'mini'), as {key: Member}; changes replace or drop members."""
    members = {
        0xAE302000: member(0xAE302000, shm_sets.base_bytes('mini', 1)),
        0xAE302001: member(0xAE302001, b'T'),
        0xAE302100: member(0xAE302100, b'P'),
        0xA2302000: member(0xA2302000, shm_sets.meta_bytes(1)),
        0xA2302100: member(0xA2302100, b'S'),
        0xAD305000: member(0xAD305000, shm_sets.data_bytes('mini')),
    }
    for name, value in changes.items():
        key = int(name[1:], 16)
        if value is None:
            del members[key]
        else:
            members[key] = value
    return members


def select(members, namespace='mini', instance=3):
    members = list(members.values()) if isinstance(members, dict) else members
    return ss.select(members, namespace, instance)


def keys(namespace_set):
    return ['%08x' % m.key.key for m in namespace_set.members()]


def test_minimal_vector_is_complete_and_sane():
    found, problems = select(vector())
    assert problems == []
    assert not found.orphan and (found.namespace, found.instance, found.nsid) == ('mini', 3, 2)
    assert keys(found) == ['ae302000', 'ae302001', 'ae302100', 'a2302000', 'a2302100', 'ad305000']
    assert ss.completeness_problems(found, ss.SEGMENTS) == []
    assert ss.completeness_problems(found, ss.FILES) == []
    assert ss.backup_sanity_problems(found) == []
    assert ss.restore_sanity_problems(found, '/b') == []


def test_members_come_in_asmt_io_order():
    extra = [member(0xAE302102, b'x'), member(0xAE302101, b'x'), member(0xA2302101, b'x'),
             member(0xAD302001, shm_sets.data_bytes('mini')), member(0xAD301000, shm_sets.data_bytes('mini'))]
    found, dummy = select(list(vector(xa2302000=member(0xA2302000, shm_sets.meta_bytes(2))).values())[::-1] + extra)
    assert keys(found) == ['ae302000', 'ae302001', 'ae302100', 'ae302101', 'ae302102', 'a2302000', 'a2302100',
                           'a2302101', 'ad301000', 'ad302001', 'ad305000']


def test_other_namespaces_and_instances_stay_out():
    others = [
        member(0xAE303000, shm_sets.base_bytes('other', 1)), member(0xAE303001, b't'), member(0xAE303100, b'p'),
        member(0xAD303000, shm_sets.data_bytes('other')),
        member(0xAD306000, shm_sets.data_bytes('mini2')),        # a name that only starts like ours
        member(0xAD307000, shm_sets.data_bytes('MINI')),
        member(0xA2303100, b's'),
    ]
    found, problems = select(list(vector().values()) + others)
    assert problems == []
    assert keys(found) == ['ae302000', 'ae302001', 'ae302100', 'a2302000', 'a2302100', 'ad305000']


def test_secondary_stages_without_meta_are_ignored():
    found, dummy = select(vector(xa2302000=None))
    assert keys(found) == ['ae302000', 'ae302001', 'ae302100', 'ad305000']
    assert ss.completeness_problems(found, ss.SEGMENTS) == []
    assert ss.backup_sanity_problems(found) == []


def test_data_stripes_match_by_name_not_nsid():
    found, dummy = select(vector(xad305000=None, xad302001=member(0xAD302001, shm_sets.data_bytes('mini')),
                                 xad31f07f=member(0xAD31F07F, shm_sets.data_bytes('mini'))))
    assert [m.key.key for m in found.data] == [0xAD302001, 0xAD31F07F]


def test_unnamed_and_short_stripes_never_match():
    found, dummy = select(vector(xad305000=member(0xAD305000, bytes(44)),
                                 xad305001=member(0xAD305001, shm_sets.data_bytes('mini')[:43])))
    assert found.data == []


def test_attached_base_still_defines_the_set():
    # C ASMT drops an attached base and backs up its stripes alone as "orphans" (docs/asmt-format.md §2.6).
    members = vector()
    members[0xAE302000].nattch = 1
    found, dummy = select(members)
    assert not found.orphan and found.base is members[0xAE302000]


def test_two_bases_of_one_name_are_ambiguous():
    members = vector(xae309000=member(0xAE309000, shm_sets.base_bytes('mini', 1)))
    found, problems = select(members)
    assert found is None
    assert problems == [('ambiguous', "found 2 base segments named 'mini' in instance 3 (0xae302000, 0xae309000): keep "
                                      "one namespace per name and instance")]


def test_orphan_set_is_the_stripes_of_that_name():
    found, problems = select([member(0xAD305001, shm_sets.data_bytes('mini')), member(0xAD305000, shm_sets.data_bytes('mini')),
                              member(0xAD306000, shm_sets.data_bytes('other')), member(0xAE302001, b't')])
    assert problems == []
    assert found.orphan and found.base is None and found.nsid == 5
    assert keys(found) == ['ad305000', 'ad305001']
    assert ss.completeness_problems(found, ss.SEGMENTS) == []
    assert ss.backup_sanity_problems(found) == []
    assert ss.restore_sanity_problems(found, '/b') == []


@pytest.mark.parametrize('members', [[], [member(0xAD306000, shm_sets.data_bytes('other'))],
                                     [member(0xAE302000, shm_sets.base_bytes('other', 1))]])
def test_nothing_of_that_name(members):
    assert select(members) == (None, [])


@pytest.mark.parametrize('namespace', ['x' * 33, ''])
def test_names_that_cannot_be_stored_never_match(namespace):
    members = [member(0xAE302000, shm_sets.base_bytes('x' * 33, 1)), member(0xAD305000, shm_sets.data_bytes('x' * 33))]
    assert select(members, namespace) == (None, [])
    # the stored (truncated) name itself does match
    found, dummy = select(members, 'x' * 32)
    assert found.base is members[0]


# The exact messages of C ASMT, for a backup and for a restore.
COMPLETENESS = [
    ('treex removed', dict(xae302001=None), 'Missing treex segment for %s.' % WHAT,
     'Missing treex segment file for %s.' % WHAT),
    ('stage 100 removed, 101 present', dict(xae302100=None, xae302101=member(0xAE302101, b'p')),
     'Missing primary stage segment 100 for %s.' % WHAT, 'Missing primary stage segment file 100 for %s.' % WHAT),
    ('no primary stage', dict(xae302100=None), 'Missing primary stage segment 100 for %s.' % WHAT,
     'Missing primary stage segment file 100 for %s.' % WHAT),
    ('gap at 101', dict(xae302102=member(0xAE302102, b'p')), 'Missing primary stage segment 101 for %s.' % WHAT,
     'Missing primary stage segment file 101 for %s.' % WHAT),
    ('meta without secondary stage', dict(xa2302100=None), 'No secondary stage segments for %s.' % WHAT,
     'No secondary stage segment files for %s.' % WHAT),
    ('secondary gap', dict(xa2302100=None, xa2302101=member(0xA2302101, b's')),
     'Missing secondary stage segment 100 for %s.' % WHAT, 'Missing secondary stage segment file 100 for %s.' % WHAT),
]


@pytest.mark.parametrize('changes, segment_message, file_message', [c[1:] for c in COMPLETENESS],
                         ids=[c[0] for c in COMPLETENESS])
def test_completeness_messages(changes, segment_message, file_message):
    found, dummy = select(vector(**changes))
    assert ss.completeness_problems(found, ss.SEGMENTS) == [('incomplete', segment_message)]
    assert ss.completeness_problems(found, ss.FILES) == [('incomplete', file_message)]


def test_duplicate_files_trip_the_rules():
    # ae302001.dat next to ae302001.dat.gz, a2302000.dat next to a2302000.dat.gz (docs/asmt-format.md §5.1 rule 8)
    members = list(vector().values()) + [member(0xAE302001, b'T', compressed=True),
                                         member(0xA2302000, shm_sets.meta_bytes(1), compressed=True)]
    found, dummy = select(members)
    assert ss.completeness_problems(found, ss.FILES) == [
        ('incomplete', 'Too many treex segment files for %s.' % WHAT),
        ('incomplete', 'Too many meta segment files for %s.' % WHAT)]
    assert ss.completeness_problems(found, ss.SEGMENTS)[1] == ('incomplete', 'Too many meta segments for %s.' % WHAT)


BACKUP_SANITY = [
    ('version 9', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, version=9))), 'invalid-base',
     'Invalid version number in base segment 0xae302000: expecting version in range 10 to 12, found version 9.'),
    ('version 13', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, version=13))), 'invalid-base',
     'Invalid version number in base segment 0xae302000: expecting version in range 10 to 12, found version 13.'),
    ('shutdown 0', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, shutdown=0))), 'unclean',
     'Shutdown status in base segment 0xae302000: expecting status 1, found status 0.'),
    ('shutdown 2', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, shutdown=2))), 'unclean',
     'Shutdown status in base segment 0xae302000: expecting status 1, found status 2.'),
    ('n_arenas 2, one stage', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 2))), 'incomplete',
     'Wrong number of primary arena stages: expecting 2, found 1.'),
    ('base 2155 bytes', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, size=2155))), 'invalid-base',
     'Base segment 0xae302000 is too small.'),
    ('meta n_arenas 3', dict(xa2302000=member(0xA2302000, shm_sets.meta_bytes(3))), 'incomplete',
     'Wrong number of secondary arena stages: expecting 3, found 1.'),
    ('meta 23 bytes', dict(xa2302000=member(0xA2302000, shm_sets.meta_bytes(1)[:23])), 'invalid-meta',
     'Meta segment 0xa2302000 is too small.'),
]


@pytest.mark.parametrize('changes, code, message', [c[1:] for c in BACKUP_SANITY], ids=[c[0] for c in BACKUP_SANITY])
def test_backup_sanity_messages(changes, code, message):
    found, dummy = select(vector(**changes))
    assert ss.completeness_problems(found, ss.SEGMENTS) == []
    (got_code, got_message), = ss.backup_sanity_problems(found)
    assert got_code == code
    # ASMT's sentence first; ours may add what to do next
    assert got_message == message or got_message.startswith(message + ' ')


def test_unclean_shutdown_says_what_to_do():
    found, dummy = select(vector(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, shutdown=0))))
    (dummy, message), = ss.backup_sanity_problems(found)
    assert 'stop it cleanly' in message and 'back up again' in message


def test_backup_sanity_reports_every_problem():
    found, dummy = select(vector(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 3, version=9, shutdown=0)),
                                 xa2302000=member(0xA2302000, shm_sets.meta_bytes(2))))
    assert [code for code, dummy in ss.backup_sanity_problems(found)] == ['invalid-base', 'unclean', 'incomplete',
                                                                          'incomplete']


RESTORE_SANITY = [
    ('n_arenas 2', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 2))),
     [('incomplete', 'Incorrect number of arena stages found: expecting 2, found 1.')]),
    ('base truncated to 2155', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, size=2155),
                                                     file='ae302000.dat')),
     [('invalid-base', "Could not extract number of arena stages from base segment file '/b/ae302000.dat'.")]),
    ('version 13', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, version=13), file='ae302000.dat')),
     [('invalid-base', "Invalid version number in base segment file '/b/ae302000.dat': expecting version in range 10 "
                       "to 12, found version 13.")]),
    # restore checks neither the shutdown status nor the meta's count (docs/asmt-format.md §2.5 rule 5)
    ('shutdown 0', dict(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, shutdown=0))), []),
    ('meta n_arenas 3', dict(xa2302000=member(0xA2302000, shm_sets.meta_bytes(3))), []),
]


@pytest.mark.parametrize('changes, problems', [c[1:] for c in RESTORE_SANITY], ids=[c[0] for c in RESTORE_SANITY])
def test_restore_sanity_messages(changes, problems):
    found, dummy = select(vector(**changes))
    assert ss.restore_sanity_problems(found, '/b') == problems


@pytest.mark.parametrize('version', [10, 11, 12])
def test_every_supported_version_passes(version):
    found, dummy = select(vector(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 1, version=version))))
    assert ss.backup_sanity_problems(found) == []
    assert ss.restore_sanity_problems(found, '/b') == []


def test_many_stages():
    stages = dict(('xae302%03x' % (0x100 + i), member(0xAE302100 + i, b'p')) for i in range(2048))
    found, dummy = select(vector(xae302000=member(0xAE302000, shm_sets.base_bytes('mini', 2048)), **stages))
    assert len(found.pi_stages) == 2048
    assert ss.completeness_problems(found, ss.SEGMENTS) == []
    assert ss.backup_sanity_problems(found) == []


def test_member_repr():
    assert repr(member(0xAE302100, b'P')) == 'Member(0xae302100, pi-stage, 1)'
