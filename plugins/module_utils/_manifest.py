# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The backup manifest and the in-progress marker.

One manifest per instance and namespace, as each namespace is an independent backup in
ASMT. A backup writes the marker first and removes it only after the manifest is durable,
so a folder with a marker is known to be incomplete. Neither name looks like a segment
file (eight hex digits, then .dat or .dat.gz), so C ASMT ignores both.
"""

from __future__ import absolute_import, division, print_function

import errno
import json
import math
import os
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    INSTANCE_MAX,
    decode,
    file_name,
)

try:
    from urllib.parse import quote, unquote
except ImportError:  # pragma: no cover - Python 2 is not supported by the core
    from urllib import quote, unquote  # type: ignore

__metaclass__ = type

FORMAT = 'fastrestart.aerospike/manifest'
FORMAT_VERSION = 1
PREFIX = 'fastrestart-i'
MANIFEST_SUFFIX = '.manifest.json'
MARKER_SUFFIX = '.in-progress'

_FILE_FIELDS = ('file', 'key', 'type', 'stage', 'segment_size', 'file_size', 'compressed',
                'uid', 'gid', 'mode', 'crc32')
# A manifest of the largest set (2048 + 2048 stages, stripes) is well under 2 MiB.
MAX_BYTES = 4 << 20
MAX_FILES = 8192
# Segments are mapped into a 47-bit address space; anything larger is a damaged record.
MAX_SEGMENT = 1 << 47
MAX_ID = (1 << 32) - 1


def _stem(instance, namespace):
    # Percent-encoding keeps any namespace name a single, reversible file name.
    return '%s%d-%s' % (PREFIX, instance, quote(namespace, safe=''))


def manifest_name(instance, namespace):
    return _stem(instance, namespace) + MANIFEST_SUFFIX


def marker_name(instance, namespace):
    return _stem(instance, namespace) + MARKER_SUFFIX


def parse_name(name):
    """(kind, instance, namespace) for a manifest or marker name, else None."""
    for kind, suffix in (('manifest', MANIFEST_SUFFIX), ('marker', MARKER_SUFFIX)):
        if name.startswith(PREFIX) and name.endswith(suffix):
            stem = name[len(PREFIX):-len(suffix)]
            instance, sep, quoted = stem.partition('-')
            if sep and instance.isdigit():
                return kind, int(instance), unquote(quoted)
    return None


def hex_key(value):
    return '0x%08x' % value


def parse_hex(value, what, path):
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        raise IntegrityError('%s: %s %r is not a hex number' % (path, what, value), path=path)


def write_atomic(folder, name, document):
    """Write JSON to folder/name: temp file, fsync, rename over, fsync the folder.

    A reader sees either no manifest or a complete one, even if the host dies mid-write.
    """
    if not isinstance(folder, _folder.Folder):
        opened = _folder.as_folder(folder)
        try:
            return write_atomic(opened, name, document)
        finally:
            opened.close()
    data = (json.dumps(document, indent=2, sort_keys=True) + '\n').encode('utf-8')
    temp = '.%s.tmp-%d' % (name, os.getpid())
    fd = folder.create(temp, os.O_WRONLY)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        folder.rename(temp, name)
    except BaseException:
        folder.unlink_quietly(temp)
        raise
    folder.fsync()
    return folder.join(name)


def write_marker(folder, instance, namespace, tool_version, files=()):
    """Create the in-progress marker exclusively: a concurrent backup of the same set fails here.

    It names the files the run will create, so that a later run knows exactly what a
    killed one may have left.
    """
    if not isinstance(folder, _folder.Folder):
        opened = _folder.as_folder(folder)
        try:
            return write_marker(opened, instance, namespace, tool_version, files)
        finally:
            opened.close()
    name = marker_name(instance, namespace)
    document = {
        'format': FORMAT + '/in-progress',
        'tool_version': tool_version,
        'host': _host.hostname(),
        'boot_id': _host.boot_id(),
        'pid': os.getpid(),
        'started': _host.now_iso(),
        'instance': instance,
        'namespace': namespace,
        'files': list(files),
    }
    fd = folder.create(name, os.O_WRONLY)
    try:
        os.write(fd, (json.dumps(document, sort_keys=True) + '\n').encode('utf-8'))
        os.fsync(fd)
    finally:
        os.close(fd)
    folder.fsync()
    return folder.join(name)


def read_marker(folder, name):
    """The marker's document, or {} when it cannot be read (a run killed while writing it)."""
    try:
        document = json.loads(_read_capped(folder, name, 64 << 10).decode('utf-8'))
    except (IOError, OSError, ValueError, RecursionError, IntegrityError):
        return {}
    return document if isinstance(document, dict) else {}


def marker_owner(document):
    """The pid of a live process of this boot that holds the marker, else None (a dead run's)."""
    pid = document.get('pid')
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or document.get('boot_id') != _host.boot_id():
        return None
    if pid == os.getpid():
        return pid
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return pid if exc.errno == errno.EPERM else None
    return pid


def build(instance, namespace, nsid, orphan, compressed, codec, tool_version, files, base=None, meta_n_arenas=None):
    """The manifest document; files is a list of dicts with the _FILE_FIELDS."""
    epoch = time.time()
    return {
        'format': FORMAT,
        'format_version': FORMAT_VERSION,
        'tool': 'fastrestart.aerospike',
        'tool_version': tool_version,
        'host': _host.hostname(),
        'boot_id': _host.boot_id(),
        'created': _host.now_iso(epoch),
        'created_epoch': round(epoch, 3),
        'instance': instance,
        'namespace': namespace,
        'nsid': nsid,
        'orphan': orphan,
        'compressed': compressed,
        'codec': codec,
        'base': base,
        'meta_n_arenas': meta_n_arenas,
        'files': files,
        'totals': {
            'files': len(files),
            'segment_bytes': sum(f['segment_size'] for f in files),
            'file_bytes': sum(f['file_size'] for f in files),
        },
    }


def _read_capped(folder, name, limit):
    """At most limit bytes of a regular file opened through the folder; larger is an error."""
    fd, st = folder.open_regular(name)
    try:
        if st.st_size > limit:
            raise IntegrityError('%s is %d bytes, more than a manifest can be (%d): it is not one'
                                 % (folder.join(name), st.st_size, limit), path=folder.join(name))
        chunks = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise IntegrityError('%s grew past %d bytes while being read' % (folder.join(name), limit),
                                 path=folder.join(name))
        return b''.join(chunks)
    finally:
        os.close(fd)


def load(path, folder=None):
    """Read and check a manifest; raise IntegrityError naming the first thing that is wrong.

    Whatever the file holds, the result is a checked document or an IntegrityError, never
    another exception: the restore trusts these values.
    """
    owned = folder is None
    try:
        if owned:
            folder = _folder.as_folder(os.path.dirname(os.path.abspath(path)))
        data = _read_capped(folder, os.path.basename(path), MAX_BYTES)
        document = json.loads(data.decode('utf-8'))
    except (IOError, OSError) as exc:
        raise IntegrityError('%s: cannot read the manifest (%s)' % (path, exc), path=path)
    except RecursionError:
        raise IntegrityError('%s: the manifest is nested too deeply to be one; it is damaged' % path, path=path)
    except ValueError as exc:
        raise IntegrityError('%s: the manifest is not valid JSON (%s); it may be damaged' % (path, exc), path=path)
    finally:
        if owned and folder is not None:
            folder.close()
    return check_document(document, path)


def _fail(path, what):
    raise IntegrityError('%s: %s; the manifest is damaged: restore from another backup or back up again'
                         % (path, what), path=path)


def _require(document, field, kinds, path, check=None, where='the manifest'):
    value = document.get(field) if isinstance(document, dict) else None
    is_bool = isinstance(value, bool)
    if field not in document or not isinstance(value, kinds) or (is_bool and bool not in _as_tuple(kinds)) \
            or (check is not None and not check(value)):
        _fail(path, '%s has %s %s' % (where, field, _short(value)) if field in document
              else '%s lacks %s' % (where, field))
    return value


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _hex(value, bits):
    try:
        return isinstance(value, str) and value.startswith('0x') and 0 <= int(value, 16) < (1 << bits)
    except ValueError:
        return False


def _int_in(low, high):
    return lambda v: low <= v <= high


def check_document(document, path):
    """The manifest's schema: types, ranges and shape, checked field by field."""
    if not isinstance(document, dict) or document.get('format') != FORMAT:
        raise IntegrityError('%s: not a fastrestart.aerospike manifest' % path, path=path)
    if document.get('format_version') != FORMAT_VERSION or isinstance(document.get('format_version'), bool):
        raise IntegrityError('%s: manifest format version %s is not supported (expected %d); use the tool version '
                             'that wrote it' % (path, _short(document.get('format_version')), FORMAT_VERSION), path=path)
    for field in ('host', 'created', 'namespace', 'codec', 'tool_version'):
        _require(document, field, str, path)
    if document.get('boot_id') is not None:
        _require(document, 'boot_id', str, path)
    _require(document, 'created_epoch', (int, float), path, lambda v: math.isfinite(v) and v >= 0)
    _require(document, 'instance', int, path, _int_in(0, INSTANCE_MAX))
    for field in ('orphan', 'compressed'):
        _require(document, field, bool, path)
    for field in ('nsid', 'meta_n_arenas'):
        if document.get(field) is not None:
            _require(document, field, int, path, _int_in(0, MAX_ID))
    if document.get('base') is not None:
        _require(document, 'base', dict, path)
    files = _require(document, 'files', list, path, lambda v: 0 < len(v) <= MAX_FILES)
    seen = set()
    for index, entry in enumerate(files):
        _check_entry(entry, '%s file %d' % ('the manifest\'s', index + 1), path)
        if entry['key_int'] in seen:
            _fail(path, 'segment %s is listed twice' % entry['key'])
        seen.add(entry['key_int'])
    document['path'] = path
    return document


def _check_entry(entry, where, path):
    """One file entry; adds key_int, crc32_int and mode_int."""
    if not isinstance(entry, dict):
        _fail(path, '%s is not an object' % where)
    key = _require(entry, 'key', str, path, lambda v: _hex(v, 32) and decode(int(v, 16)) is not None, where)
    compressed = _require(entry, 'compressed', bool, path, where=where)
    expected = file_name(int(key, 16), compressed)
    # Names come from the key, never from the document: no path can be smuggled in.
    _require(entry, 'file', str, path, lambda v: v == expected, where)
    _require(entry, 'type', str, path, where=where)
    if entry.get('stage') is not None:
        _require(entry, 'stage', str, path, lambda v: _hex(v, 12), where)
    size = _require(entry, 'segment_size', int, path, _int_in(1, MAX_SEGMENT), where)
    file_size = _require(entry, 'file_size', int, path, _int_in(0, MAX_SEGMENT * 2), where)
    for field in ('uid', 'gid'):
        _require(entry, field, int, path, _int_in(0, MAX_ID), where)
    mode = _require(entry, 'mode', (str, int), path, _valid_mode, where)
    crc = entry.get('crc32')
    if crc is not None:
        _require(entry, 'crc32', str, path, lambda v: _hex(v, 32), where)
    elif 'crc32' not in entry:
        _fail(path, '%s lacks crc32' % where)
    if entry.get('chunk_offsets') is not None or entry.get('chunk_size') is not None:
        chunk = _require(entry, 'chunk_size', int, path, _int_in(1, MAX_SEGMENT), where)
        offsets = _require(entry, 'chunk_offsets', list, path, lambda v: len(v) == -(-size // chunk), where)
        if any(not isinstance(o, int) or isinstance(o, bool) for o in offsets) or \
                any(b <= a for a, b in zip(offsets, offsets[1:])) or not offsets or not 0 < offsets[0] <= offsets[-1] < file_size:
            _fail(path, '%s has chunk_offsets that are not increasing offsets inside the file' % where)
    entry['key_int'] = int(key, 16)
    entry['crc32_int'] = None if crc is None else int(crc, 16)
    entry['mode_int'] = int(mode, 8) if isinstance(mode, str) else mode


def _valid_mode(value):
    if isinstance(value, str):
        try:
            value = int(value, 8)
        except ValueError:
            return False
    return 0 <= value <= 0o777


def find(folder):
    """Manifests and markers in a folder: {(instance, namespace): {'manifest': path, 'marker': path}}."""
    with _folder.opened(folder) as opened:
        names = opened.listdir()
    found = {}
    for name in sorted(names):
        parsed = parse_name(name)
        if parsed is None:
            continue
        kind, instance, namespace = parsed
        found.setdefault((instance, namespace), {})[kind] = os.path.join(opened.path, name)
    return found
