# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading racks: replies (docs/racks.md, section 1)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _racks

__metaclass__ = type


def test_reads_every_namespace_with_its_racks_and_roster_racks():
    reply = ('ns=test:rack_1=BB9010011AC4202,BB9020011AC4202:rack_2=BB9030011AC4202;'
             'ns=bar:rack_1=A,B:rack_2=C,D:roster_rack_1=A,B:roster_rack_2=C,D')

    parsed = _racks.parse_racks(reply)

    assert parsed['test'] == {'racks': {1: ('BB9010011AC4202', 'BB9020011AC4202'), 2: ('BB9030011AC4202',)},
                              'roster_racks': {}}
    assert parsed['bar']['roster_racks'] == {1: ('A', 'B'), 2: ('C', 'D')}


def test_node_order_inside_a_rack_does_not_matter():
    assert _racks.parse_racks('ns=test:rack_1=b,a') == _racks.parse_racks('ns=test:rack_1=A,B')


def test_a_namespace_with_no_members_has_no_racks():
    assert _racks.parse_racks('ns=test:;ns=bar:rack_0=A') == {
        'test': {'racks': {}, 'roster_racks': {}}, 'bar': {'racks': {0: ('A',)}, 'roster_racks': {}}}


@pytest.mark.parametrize('reply', ['rack_1=A', 'ns=test:rack_x=A', 'ns=test:bogus=A', 'ns=test:rack_1'])
def test_refuses_what_is_not_a_racks_reply(reply):
    with pytest.raises(_racks.RacksReplyError):
        _racks.parse_racks(reply)


def test_survives_the_trip_through_json():
    parsed = _racks.parse_racks('ns=test:rack_1=A,B:rack_12=C')
    assert _racks.from_jsonable(_racks.jsonable(parsed)) == parsed
    assert _racks.jsonable(parsed) == {'test': {'racks': {'1': ['A', 'B'], '12': ['C']}, 'roster_racks': {}}}
