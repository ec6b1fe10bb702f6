# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Key layout and file names (docs/asmt-format.md §1, §3.1, §5.1)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _keys

__metaclass__ = type

AE, A2, AD = _keys.TYPE_PRIMARY, _keys.TYPE_SECONDARY, _keys.TYPE_DATA

# docs/asmt-format.md §1.4, and more, row by row: (inst, nsid) -> the keys of every column.
WORKED_EXAMPLES = [
    (0, 1, ['ae001000', 'ae001001', 'ae001100', 'ae001101', 'ae0018ff', 'a2001000', 'a2001100', 'a20018ff',
            'ad001000', 'ad001001', 'ad00107f']),
    (0, 2, ['ae002000', 'ae002001', 'ae002100', 'ae002101', 'ae0028ff', 'a2002000', 'a2002100', 'a20028ff',
            'ad002000', 'ad002001', 'ad00207f']),
    (1, 1, ['ae101000', 'ae101001', 'ae101100', 'ae101101', 'ae1018ff', 'a2101000', 'a2101100', 'a21018ff',
            'ad101000', 'ad101001', 'ad10107f']),
    (1, 2, ['ae102000', 'ae102001', 'ae102100', 'ae102101', 'ae1028ff', 'a2102000', 'a2102100', 'a21028ff',
            'ad102000', 'ad102001', 'ad10207f']),
    (15, 32, ['aef20000', 'aef20001', 'aef20100', 'aef20101', 'aef208ff', 'a2f20000', 'a2f20100', 'a2f208ff',
              'adf20000', 'adf20001', 'adf2007f']),
]
COLUMNS = [
    (AE, 0x000, _keys.BASE), (AE, 0x001, _keys.TREEX), (AE, 0x100, _keys.PI_STAGE), (AE, 0x101, _keys.PI_STAGE),
    (AE, 0x8FF, _keys.PI_STAGE), (A2, 0x000, _keys.META), (A2, 0x100, _keys.SI_STAGE), (A2, 0x8FF, _keys.SI_STAGE),
    (AD, 0x000, _keys.DATA), (AD, 0x001, _keys.DATA), (AD, 0x07F, _keys.DATA),
]


@pytest.mark.parametrize('instance, nsid, expected', WORKED_EXAMPLES)
def test_worked_examples_encode_and_decode(instance, nsid, expected):
    for (type_byte, sub, role), text in zip(COLUMNS, expected):
        key = _keys.encode(type_byte, instance, nsid, sub)
        assert '%08x' % key == text
        info = _keys.decode(key)
        assert info == (key, type_byte, instance, nsid, sub, role)
        assert info.hex == '0x' + text


@pytest.mark.parametrize('key, role', [
    # 0xAE: base, treex, stages 0x100..0x8FF; everything else is not an index key.
    (0xAE001000, _keys.BASE), (0xAE001001, _keys.TREEX), (0xAE001002, None), (0xAE0010FF, None),
    (0xAE001100, _keys.PI_STAGE), (0xAE0018FF, _keys.PI_STAGE), (0xAE001900, None), (0xAE001FFF, None),
    # 0xA2: no treex; C ASMT leaves 0x001 untyped and takes 0x002..0x0FF for a meta.
    (0xA2001000, _keys.META), (0xA2001001, None), (0xA2001002, None), (0xA2001100, _keys.SI_STAGE),
    (0xA20018FF, _keys.SI_STAGE), (0xA2001900, None),
    # 0xAD: every sub-key is a stripe, including 0x001 which C ASMT loses (docs/asmt-format.md §7, difference 1).
    (0xAD001000, _keys.DATA), (0xAD001001, _keys.DATA), (0xAD001100, _keys.DATA), (0xAD0018FF, _keys.DATA),
    (0xAD001FFF, _keys.DATA),
    # nsid must be 1..32.
    (0xAE000000, None), (0xAE021000, None), (0xAE020000, _keys.BASE), (0xAEFFF000, None), (0xAD000000, None),
    # Other type bytes are not Aerospike's.
    (0xAF001000, None), (0x00001000, None), (0x12345678, None), (0xFFFFFFFF, None),
])
def test_classification_is_deterministic(key, role):
    info = _keys.decode(key)
    if role is None:
        assert info is None
    else:
        assert info.role == role
        assert info.sub == key & 0xFFF


@pytest.mark.parametrize('signed, unsigned', [
    (-1375727616, 0xAE001000),   # as /proc/sysvipc/shm prints ae001000 (docs/asmt-format.md §1.4)
    (-1392504832, 0xAD001000),
    (-1577054208, 0xA2001000),
])
def test_signed_keys_decode_like_unsigned(signed, unsigned):
    assert signed & 0xFFFFFFFF == unsigned
    assert _keys.decode(signed) == _keys.decode(unsigned)
    assert _keys.decode(signed).key == unsigned
    assert _keys.file_name(signed) == '%08x.dat' % unsigned


def test_encode_masks_every_field():
    assert _keys.encode(0x1AE, 0x13, 0x101, 0x1100) == 0xAE301100


@pytest.mark.parametrize('role, sub, stage, compressible', [
    (_keys.BASE, 0, None, False), (_keys.TREEX, 1, None, True), (_keys.PI_STAGE, 0x101, 0x101, True),
    (_keys.META, 0, None, False), (_keys.SI_STAGE, 0x100, 0x100, True), (_keys.DATA, 0x001, 0x001, True),
])
def test_stage_and_compressible(role, sub, stage, compressible):
    type_byte = {_keys.BASE: AE, _keys.TREEX: AE, _keys.PI_STAGE: AE, _keys.META: A2, _keys.SI_STAGE: A2,
                 _keys.DATA: AD}[role]
    info = _keys.decode(_keys.encode(type_byte, 3, 2, sub))
    assert info.role == role
    assert info.stage == stage
    assert info.compressible is compressible


def test_order_is_asmt_io_order():
    # docs/asmt-format.md §3.3: base, treex, primary stages, meta, secondary stages, data stripes by key.
    keys = [0xAD302001, 0xA2302101, 0xAE302101, 0xAD305000, 0xA2302000, 0xAE302000, 0xA2302100, 0xAE302100,
            0xAE302001]
    ordered = sorted((_keys.decode(k) for k in keys), key=lambda info: info.order)
    assert ['%08x' % info.key for info in ordered] == [
        'ae302000', 'ae302001', 'ae302100', 'ae302101', 'a2302000', 'a2302100', 'a2302101', 'ad302001', 'ad305000']


@pytest.mark.parametrize('key, compressed, name', [
    (0xAE001000, False, 'ae001000.dat'),
    (0xAE001100, True, 'ae001100.dat.gz'),
    (0xAD00107F, True, 'ad00107f.dat.gz'),
    (0x0000ABCD, False, '0000abcd.dat'),
])
def test_file_name(key, compressed, name):
    assert _keys.file_name(key, compressed) == name


@pytest.mark.parametrize('name, key, compressed', [
    ('ae001000.dat', 0xAE001000, False),
    ('ae001100.dat.gz', 0xAE001100, True),
    ('AE001000.dat', 0xAE001000, False),      # upper case counts, as in C ASMT (docs/asmt-format.md §3.4)
    ('Ad30500A.dat.gz', 0xAD30500A, True),
    ('ad305001.dat', 0xAD305001, False),
])
def test_parse_file_name_accepts(name, key, compressed):
    info, is_compressed = _keys.parse_file_name(name)
    assert info.key == key
    assert is_compressed is compressed


@pytest.mark.parametrize('name', [
    'ae001000.dat.bak', 'ae001000.DAT', 'ae001000.tar.dat', 'ae001000.dat.gz.tmp', 'ae001000', 'ae001000.gz',
    'ae00100.dat', 'ae0010000.dat', '0xae0010.dat', 'ae00100g.dat', ' e001000.dat', '.ae001000.dat',
    'ae001000..dat', 'ae001000.dat ', 'ae001000.dat\n',
    # decodes to no Aerospike key
    'ae002002.dat', 'a2001001.dat', 'ae000000.dat', 'ae021000.dat', '12345678.dat', 'ae001900.dat.gz',
])
def test_parse_file_name_rejects(name):
    assert _keys.parse_file_name(name) is None


@pytest.mark.parametrize('name, invalid', [
    ('ae00100g.dat', True), ('zzzzzzzz.dat.gz', True), ('ae-01000.dat', True),
    ('ae001000.dat', False), ('AE001000.dat', False), ('ae002002.dat', False),  # hex but no key: not "invalid chars"
    ('short.dat', False), ('ae001000.txt', False), ('ae00100g.dat.bak', False),
])
def test_has_invalid_characters(name, invalid):
    assert _keys.has_invalid_characters(name) is invalid


@pytest.mark.parametrize('stage, text', [(None, '-'), (0, '0x000'), (0x100, '0x100'), (0x8FF, '0x8ff'), (0x7F, '0x07f')])
def test_stage_text(stage, text):
    assert _keys.stage_text(stage) == text
