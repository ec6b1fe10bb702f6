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

import json
import os
import socket
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    IntegrityError,
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
BOOT_ID = '/proc/sys/kernel/random/boot_id'

_FILE_FIELDS = ('file', 'key', 'type', 'stage', 'segment_size', 'file_size', 'compressed',
                'uid', 'gid', 'mode', 'crc32')


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


def boot_id(path=BOOT_ID):
    """This boot's id; it changes at every reboot, so it tells whether one happened."""
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def hostname():
    return socket.gethostname()


def now_iso(epoch=None):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() if epoch is None else epoch))


def hex_key(value):
    return '0x%08x' % value


def parse_hex(value, what, path):
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        raise IntegrityError('%s: %s %r is not a hex number' % (path, what, value), path=path)


def fsync_dir(path):
    """Make a new, renamed or removed directory entry durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(folder, name, document):
    """Write JSON to folder/name: temp file, fsync, rename over, fsync the folder.

    A reader sees either no manifest or a complete one, even if the host dies mid-write.
    """
    data = (json.dumps(document, indent=2, sort_keys=True) + '\n').encode('utf-8')
    temp = os.path.join(folder, '.%s.tmp-%d' % (name, os.getpid()))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temp, os.path.join(folder, name))
    except BaseException:
        _unlink_quietly(temp)
        raise
    fsync_dir(folder)
    return os.path.join(folder, name)


def write_marker(folder, instance, namespace, tool_version):
    """Create the in-progress marker exclusively: a concurrent backup of the same set fails here."""
    path = os.path.join(folder, marker_name(instance, namespace))
    document = {
        'format': FORMAT + '/in-progress',
        'tool_version': tool_version,
        'host': hostname(),
        'boot_id': boot_id(),
        'pid': os.getpid(),
        'started': now_iso(),
        'instance': instance,
        'namespace': namespace,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, (json.dumps(document, sort_keys=True) + '\n').encode('utf-8'))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(folder)
    return path


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def build(instance, namespace, nsid, orphan, compressed, codec, tool_version, files, base=None, meta_n_arenas=None):
    """The manifest document; files is a list of dicts with the _FILE_FIELDS."""
    epoch = time.time()
    return {
        'format': FORMAT,
        'format_version': FORMAT_VERSION,
        'tool': 'fastrestart.aerospike',
        'tool_version': tool_version,
        'host': hostname(),
        'boot_id': boot_id(),
        'created': now_iso(epoch),
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


def load(path):
    """Read and check a manifest; raise IntegrityError naming the first thing that is wrong."""
    try:
        with open(path, 'rb') as handle:
            document = json.loads(handle.read().decode('utf-8'))
    except (IOError, OSError) as exc:
        raise IntegrityError('%s: cannot read the manifest (%s)' % (path, exc), path=path)
    except ValueError as exc:
        raise IntegrityError('%s: the manifest is not valid JSON (%s); it may be damaged' % (path, exc), path=path)
    if not isinstance(document, dict) or document.get('format') != FORMAT:
        raise IntegrityError('%s: not a fastrestart.aerospike manifest' % path, path=path)
    if document.get('format_version') != FORMAT_VERSION:
        raise IntegrityError('%s: manifest format version %r is not supported (expected %d); use the tool version '
                             'that wrote it' % (path, document.get('format_version'), FORMAT_VERSION), path=path)
    files = document.get('files')
    if not isinstance(files, list) or not files:
        raise IntegrityError('%s: the manifest lists no files' % path, path=path)
    for entry in files:
        if not isinstance(entry, dict):
            raise IntegrityError('%s: a file entry is not an object: %r' % (path, entry), path=path)
        missing = [k for k in _FILE_FIELDS if k not in entry]
        if missing:
            raise IntegrityError('%s: a file entry lacks %s' % (path, ', '.join(missing)), path=path)
        entry['key_int'] = parse_hex(entry['key'], 'key', path)
        entry['crc32_int'] = None if entry['crc32'] is None else parse_hex(entry['crc32'], 'crc32', path)
        try:
            entry['mode_int'] = int(entry['mode'], 8) if isinstance(entry['mode'], str) else int(entry['mode'])
        except (TypeError, ValueError):
            raise IntegrityError('%s: mode %r is not an octal number' % (path, entry['mode']), path=path)
    document['path'] = path
    return document


def find(folder):
    """Manifests and markers in a folder: {(instance, namespace): {'manifest': path, 'marker': path}}."""
    found = {}
    for name in sorted(os.listdir(folder)):
        parsed = parse_name(name)
        if parsed is None:
            continue
        kind, instance, namespace = parsed
        found.setdefault((instance, namespace), {})[kind] = os.path.join(folder, name)
    return found
