# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup manifest and the in-progress marker."""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import stat

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import IntegrityError
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    has_invalid_characters,
    parse_file_name,
)

__metaclass__ = type

NAMESPACES = ['test', 'bar', 'ns.with.dots', 'with space', '../escape', 'a/b', 'AE001000', 'ae001000.dat',
              '00000000', 'ünïcödé', '-', '%41', 'x' * 32, 'fastrestart-i0-test.manifest.json']


def entry(key='0xae001000', **changes):
    out = {'file': key[2:] + '.dat', 'key': key, 'type': 'pi-base', 'stage': None, 'segment_size': 4096,
           'file_size': 4096, 'compressed': False, 'uid': 0, 'gid': 0, 'mode': '0600', 'crc32': '0xc71c0011'}
    out.update(changes)
    return out


def document(files=None):
    return _manifest.build(0, 'test', 1, False, False, 'zlib', '1.0.0', [entry()] if files is None else files,
                           base={'version': 12, 'n_arenas': 1}, meta_n_arenas=None)


@pytest.mark.parametrize('instance', [0, 7, 15])
@pytest.mark.parametrize('namespace', NAMESPACES)
def test_names_never_look_like_segment_files(instance, namespace):
    for name in (_manifest.manifest_name(instance, namespace), _manifest.marker_name(instance, namespace)):
        assert parse_file_name(name) is None
        assert not has_invalid_characters(name)
        assert '/' not in name and name not in ('.', '..') and not name.startswith('.')
        assert len(name.encode('utf-8')) < 255


@pytest.mark.parametrize('namespace', NAMESPACES)
def test_names_round_trip(namespace):
    assert _manifest.parse_name(_manifest.manifest_name(3, namespace)) == ('manifest', 3, namespace)
    assert _manifest.parse_name(_manifest.marker_name(12, namespace)) == ('marker', 12, namespace)


def test_manifest_name_is_readable():
    assert _manifest.manifest_name(0, 'test') == 'fastrestart-i0-test.manifest.json'
    assert _manifest.marker_name(2, 'a b') == 'fastrestart-i2-a%20b.in-progress'


@pytest.mark.parametrize('name', ['ae001000.dat', 'fastrestart-ix-test.manifest.json', 'fastrestart-i0.manifest.json',
                                  'fastrestart-i0-test.manifest', 'other-i0-test.manifest.json', 'fastrestart-i-t.in-progress'])
def test_parse_name_rejects(name):
    assert _manifest.parse_name(name) is None


def test_write_atomic_leaves_only_the_file(tmp_path):
    path = _manifest.write_atomic(str(tmp_path), 'm.json', {'a': 1})
    assert path == str(tmp_path / 'm.json')
    assert os.listdir(str(tmp_path)) == ['m.json']
    assert json.loads((tmp_path / 'm.json').read_text()) == {'a': 1}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # replacing is atomic too, and again leaves nothing behind
    _manifest.write_atomic(str(tmp_path), 'm.json', {'a': 2})
    assert os.listdir(str(tmp_path)) == ['m.json']
    assert json.loads((tmp_path / 'm.json').read_text()) == {'a': 2}


def test_write_atomic_failure_removes_the_temp_file(tmp_path):
    # A directory where the manifest should go makes the rename fail after the temp file exists.
    (tmp_path / 'm.json').mkdir()
    (tmp_path / 'm.json' / 'keep').write_text('x')
    with pytest.raises(OSError):
        _manifest.write_atomic(str(tmp_path), 'm.json', {'a': 1})
    assert sorted(os.listdir(str(tmp_path))) == ['m.json']


def test_write_atomic_unserialisable_document_writes_nothing(tmp_path):
    with pytest.raises(TypeError):
        _manifest.write_atomic(str(tmp_path), 'm.json', {'a': object()})
    assert os.listdir(str(tmp_path)) == []


def test_marker_is_exclusive(tmp_path):
    path = _manifest.write_marker(str(tmp_path), 0, 'test', '1.2.3')
    assert os.path.basename(path) == 'fastrestart-i0-test.in-progress'
    content = json.loads(open(path).read())
    assert content['format'] == 'fastrestart.aerospike/manifest/in-progress'
    assert (content['instance'], content['namespace'], content['pid'], content['tool_version']) == (
        0, 'test', os.getpid(), '1.2.3')
    assert content['boot_id'] == _host.boot_id()
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', content['started'])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # a second backup of the same set cannot start
    with pytest.raises(OSError) as caught:
        _manifest.write_marker(str(tmp_path), 0, 'test', '1.2.3')
    assert caught.value.errno == 17
    # another namespace or instance can
    _manifest.write_marker(str(tmp_path), 1, 'test', '1.2.3')
    _manifest.write_marker(str(tmp_path), 0, 'bar', '1.2.3')


def test_marker_does_not_follow_a_symlink(tmp_path):
    target = tmp_path / 'elsewhere'
    os.symlink(str(target), str(tmp_path / _manifest.marker_name(0, 'test')))
    with pytest.raises(OSError):
        _manifest.write_marker(str(tmp_path), 0, 'test', '1')
    assert not target.exists()


def test_build_totals_and_identity():
    files = [entry(), entry('0xae001001', file='ae001001.dat.gz', type='pi-treex', segment_size=8192, file_size=100,
                            compressed=True)]
    doc = _manifest.build(3, 'test', 2, False, True, 'isal', '1.0.0', files)
    assert doc['format'] == _manifest.FORMAT and doc['format_version'] == _manifest.FORMAT_VERSION
    assert doc['totals'] == {'files': 2, 'segment_bytes': 4096 + 8192, 'file_bytes': 4096 + 100}
    assert (doc['instance'], doc['namespace'], doc['nsid'], doc['compressed'], doc['codec']) == (3, 'test', 2, True, 'isal')
    assert doc['boot_id'] == _host.boot_id()
    assert doc['host'] == _host.hostname()
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', doc['created'])


def test_load_round_trip(tmp_path):
    path = _manifest.write_atomic(str(tmp_path), _manifest.manifest_name(0, 'test'),
                                  document([entry(), entry('0xad001001', mode=0o644, crc32=None)]))
    doc = _manifest.load(path)
    assert doc['path'] == path
    first, second = doc['files']
    assert (first['key_int'], first['crc32_int'], first['mode_int']) == (0xAE001000, 0xC71C0011, 0o600)
    assert (second['key_int'], second['crc32_int'], second['mode_int']) == (0xAD001001, None, 0o644)


BAD = [
    ('not json', b'{"format": ', 'the manifest is not valid JSON'),
    ('not utf-8', b'\xff\xfe', 'the manifest is not valid JSON'),
    ('a list', b'[]', 'not a fastrestart.aerospike manifest'),
    ('other format', {'format': 'something/else'}, 'not a fastrestart.aerospike manifest'),
    ('newer version', {'format_version': 2}, r'manifest format version 2 is not supported \(expected 1\); use the tool '
                                             'version that wrote it'),
    ('no version', {'format_version': None}, 'manifest format version None is not supported'),
    ('no files', {'files': []}, 'the manifest has files'),
    ('files not a list', {'files': {'a': 1}}, 'the manifest has files'),
    ('entry lacks fields', {'files': [{'file': 'ae001000.dat'}]}, "the manifest's file 1 lacks key"),
    ('entry not an object', {'files': [5]}, "the manifest's file 1 is not an object"),
    ('bad key', {'files': [entry(key='ae00zz00')]}, r"file 1 has key 'ae00zz00'"),
    ('bad crc', {'files': [entry(crc32=17)]}, 'file 1 has crc32 17'),
    ('bad mode', {'files': [entry(mode='rw-')]}, r"file 1 has mode 'rw-'"),
    ('mode null', {'files': [entry(mode=None)]}, 'file 1 has mode None'),
]


@pytest.mark.parametrize('content, message', [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_load_rejects_bad_documents(tmp_path, content, message):
    if isinstance(content, dict):
        doc = document()
        doc.update(content)
        content = json.dumps(doc).encode()
    path = tmp_path / 'fastrestart-i0-test.manifest.json'
    path.write_bytes(content)
    with pytest.raises(IntegrityError, match=message) as caught:
        _manifest.load(str(path))
    assert caught.value.msg.startswith(str(path) + ': ')
    assert caught.value.facts == {'path': str(path)}


def test_load_missing_file(tmp_path):
    with pytest.raises(IntegrityError, match='cannot read the manifest'):
        _manifest.load(str(tmp_path / 'nope.json'))


def test_find(tmp_path):
    for name in (_manifest.manifest_name(0, 'test'), _manifest.marker_name(0, 'test'), _manifest.manifest_name(1, 'a b'),
                 _manifest.marker_name(2, 'bar'), 'ae001000.dat', 'notes.txt'):
        (tmp_path / name).write_text('{}')
    found = _manifest.find(str(tmp_path))
    assert found == {
        (0, 'test'): {'manifest': str(tmp_path / 'fastrestart-i0-test.manifest.json'),
                      'marker': str(tmp_path / 'fastrestart-i0-test.in-progress')},
        (1, 'a b'): {'manifest': str(tmp_path / 'fastrestart-i1-a%20b.manifest.json')},
        (2, 'bar'): {'marker': str(tmp_path / 'fastrestart-i2-bar.in-progress')},
    }
