# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Back up the segment sets of namespaces to a folder: plan (ASMT's analyze), then execute."""

from __future__ import absolute_import, division, print_function

import errno
import os

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _refusals
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    close_folder,
    describe_found,
    execute_namespaces,
    new_plan,
    segment_crcs,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    folder_entries,
    live_members,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import (
    Engine,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    IntegrityError,
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    file_name,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    Item,
    NamespacePlan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    Request,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._segment_set import (
    backup_sanity_problems,
    completeness_problems,
    select,
    SEGMENTS,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._transfer import (
    GzipWriter,
    PlainWriter,
    SegmentHasher,
    reader,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._version import (
    VERSION,
)

__metaclass__ = type

# Deflate never grows a block by more than a few bytes per 16 KiB; add the file's framing.
COMPRESSED_OVERHEAD_PER_FILE = 64


def _worst_case_file_size(item):
    if not item.compressed:
        return item.size
    return item.size + item.size // 1000 + COMPRESSED_OVERHEAD_PER_FILE


def plan_backup(path, namespaces, instance=0, compress=False, threads=None, codec='auto',
                allow_volatile_path=False, entries=None, create_parents=False):
    """Everything a backup would do, and every reason it would refuse. Changes nothing.

    create_parents plans the missing parents of the folder too (as C ASMT does not: it
    refuses them), so that a first backup under a new root is checked, not refused.
    """
    request = Request.operation(path, namespaces, instance, threads)
    namespaces = request.namespaces
    plan = new_plan('backup', request, codec, compress)
    path = plan.path
    folder_exists = _plan_folder(plan, create_parents)
    volatile = _folder.volatile_filesystem(path)
    plan.facts['filesystem_volatile'] = volatile
    if volatile and not allow_volatile_path:
        plan.refuse('volatile-path', '%s is on %s, which a reboot erases: back up to a disk-backed folder (or allow a '
                    'volatile path explicitly if no reboot follows)' % (path, volatile), path=path)

    if entries is None:
        entries = _sysv.list_segments()
    members = live_members(instance, entries)
    names, dummy = folder_entries(plan.folder) if folder_exists else ({}, [])
    found = _manifest.find(plan.folder) if folder_exists else {}

    for namespace in namespaces:
        ns_plan = NamespacePlan('backup', namespace, instance)
        plan.namespaces.append(ns_plan)
        _plan_namespace(plan, ns_plan, members, names, found.get((instance, namespace), {}))

    runnable = [ns for ns in plan.namespaces if ns.state == 'ready']
    needed = sum(_worst_case_file_size(item) for ns in runnable for item in ns.items)
    free = _folder.free_bytes(path)
    plan.facts.update({'free_bytes': free, 'needed_bytes': needed})
    if needed > free:
        plan.refuse('no-space', '%s has %d bytes free, short of the %d bytes this backup may need: free space or choose '
                    'another folder' % (path, free, needed), path=path)
    if folder_exists:
        modes = dict((item.file, item.mode) for ns in runnable for item in ns.items)
        for code, message in _folder.folder_problems(plan.folder, modes):
            plan.refuse(code, message, path=path)
    return plan


def _plan_folder(plan, create_parents):
    """Whether the folder exists (then plan.folder is it, opened and checked up to /);
    otherwise plan its creation (and its parents') inside the deepest existing folder, or refuse."""
    path = plan.path
    try:
        folder, missing = _folder.open_trusted(path, stop_missing=True)
    except _folder.UntrustedFolder as exc:
        plan.refuse(exc.code, exc.message, path=path)
        return False
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            plan.refuse('folder', '%s: choose a folder for the backup' % (exc.strerror or exc), path=path)
        else:
            plan.refuse('folder', "Cannot write to directory '%s': %s." % (path, exc.strerror or exc), path=path)
        return False
    if not missing:
        plan.folder = folder
        if os.geteuid() != 0 and not os.access(path, os.W_OK | os.X_OK):
            plan.refuse('folder', "Cannot write to directory '%s': either it does not exist or we don't have write "
                        "permission." % path, path=path)
        return True
    plan.parent_folder = folder
    if len(missing) == 1:
        plan.create_folder = True
    elif not create_parents:
        plan.refuse('folder', "Cannot write to directory '%s': its parent %s does not exist; create it first "
                    "(the backup creates only the last level, mode 0700)" % (path, os.path.dirname(path.rstrip('/'))),
                    path=path)
    else:
        plan.create_parents = [os.path.join(folder.path, *missing[:i]) for i in range(1, len(missing))]
        plan.create_folder = True
    return False


def _plan_namespace(plan, ns_plan, members, names, marker_and_manifest):
    namespace, instance, path = ns_plan.namespace, ns_plan.instance, plan.path
    found, problems = select(members, namespace, instance)
    for code, message in problems:
        ns_plan.refuse(code, message)
    if found is None:
        if not problems:
            _refusals.refuse_not_found(ns_plan, 'segments', known=' ' + describe_found(members, instance))
        return
    ns_plan.take_set(found)
    if found.orphan:
        ns_plan.warnings.append("no base segment named '%s': backing up its %d data stripes alone (orphan data, as "
                                "after an unclean shutdown that kept them)" % (namespace, len(found.data)))
    set_members = found.members()
    for member in set_members:
        if member.problem:
            ns_plan.refuse('unreadable', member.problem, keys=[member.key.key])
    for code, message in completeness_problems(found, SEGMENTS) + backup_sanity_problems(found):
        ns_plan.refuse(code, message)
    if _live_marker(plan, ns_plan, marker_and_manifest.get('marker')):
        return
    _refusals.refuse_attached(ns_plan, set_members, "segments of namespace '{namespace}' are attached: {described}. "
                              "asd (or another process) is using them; stop asd cleanly and back up again",
                              namespace=namespace)
    for member in set_members:
        compressed = plan.compress and member.key.compressible
        ns_plan.items.append(Item(member, file_name(member.key.key, compressed), compressed))
    _plan_existing(plan, ns_plan, names, marker_and_manifest)


def _live_marker(plan, ns_plan, marker):
    """Refuse when another backup of this set into this folder is running now; True if so."""
    if not marker:
        return False
    pid = _manifest.marker_owner(_manifest.read_marker(plan.folder, os.path.basename(marker)))
    if pid is None:
        return False
    ns_plan.refuse('in-progress', "another backup is running (pid %d) into %s for namespace '%s': wait for it to "
                   "finish; its files are not stale, do not remove them" % (pid, plan.path, ns_plan.namespace),
                   path=marker, pids=[pid])
    return True


def _set_names(ns_plan, manifest_pid=None):
    """Every name this set's files (and its manifest and marker) could have in the folder."""
    names = set()
    for item in ns_plan.items:
        names.update((file_name(item.key.key, False), file_name(item.key.key, True)))
    manifest = _manifest.manifest_name(ns_plan.instance, ns_plan.namespace)
    names.update((manifest, _manifest.marker_name(ns_plan.instance, ns_plan.namespace)))
    if manifest_pid is not None:
        names.add('.%s.tmp-%d' % (manifest, manifest_pid))
    return names


def _plan_dead_marker(plan, ns_plan, marker):
    """A backup that stopped: on this boot, this run removes exactly its files and does it again."""
    folder = plan.folder
    document = _manifest.read_marker(folder, os.path.basename(marker))
    pid = document.get('pid') if isinstance(document.get('pid'), int) else None
    ours = _set_names(ns_plan, pid)
    # Only names this set's files could have: a marker cannot make us remove anything else.
    left = sorted(n for n in ours if folder.exists(n))
    if document.get('boot_id') != _host.boot_id():
        ns_plan.refuse('in-progress', "%s holds the unfinished backup of namespace '%s' of a run (pid %s, started %s) "
                       'from before a reboot, so its segments are gone and it cannot be finished: remove its files '
                       '(%s) and back up again' % (plan.path, ns_plan.namespace, pid, document.get('started'),
                                                   ' '.join(folder.join(n) for n in left)), path=marker)
        return
    ns_plan.stale_files = left
    ns_plan.warnings.append('a backup that stopped (pid %s, started %s) left %s: they will be removed and the backup '
                            'made again' % (pid, document.get('started'), ', '.join(left)))


def _plan_existing(plan, ns_plan, names, marker_and_manifest):
    """Refuse to overwrite; recognise a complete backup of exactly these segments as done."""
    path, instance = plan.path, ns_plan.instance
    marker = marker_and_manifest.get('marker')
    manifest_path = marker_and_manifest.get('manifest')
    if marker:
        _plan_dead_marker(plan, ns_plan, marker)
        return
    if manifest_path:
        _plan_against_manifest(plan, ns_plan, manifest_path, names)
        return
    planned = set(item.key.key for item in ns_plan.items)
    clashes = []
    for name, (key, dummy) in sorted(names.items()):
        same_set = not ns_plan.orphan and key.instance == instance and key.nsid == ns_plan.nsid
        if same_set or key.key in planned:
            clashes.append(name)
    for name in clashes:
        _refusals.refuse_exists(ns_plan, "file '%s/%s'" % (path, name), 'back up associated segment',
                                ' Choose a new folder for each backup, or remove the old files.',
                                path=os.path.join(path, name))


def _plan_against_manifest(plan, ns_plan, manifest_path, names):
    try:
        manifest = _manifest.load(manifest_path, plan.folder)
    except IntegrityError as exc:
        ns_plan.refuse('exists', '%s; choose another folder or remove it' % exc.msg, path=manifest_path)
        return
    ns_plan.manifest = manifest
    ns_plan.manifest_path = manifest_path
    what = "%s already holds a backup of namespace '%s' (made %s on %s)" % (
        plan.path, ns_plan.namespace, manifest.get('created'), manifest.get('host'))
    fix = 'choose a new folder for each backup, or remove the old one'
    recorded = dict((e['key_int'], e) for e in manifest['files'])
    current = dict((item.key.key, item) for item in ns_plan.items)
    if set(recorded) != set(current) or any(recorded[k]['segment_size'] != current[k].size for k in current):
        ns_plan.refuse('exists', '%s whose segments differ from the current ones (keys or sizes): %s' % (what, fix),
                       path=manifest_path)
        return
    if any(bool(recorded[k]['compressed']) != current[k].compressed for k in current):
        ns_plan.refuse('exists', '%s %s compression: %s' % (what, 'without' if plan.compress else 'with', fix),
                       path=manifest_path)
        return
    if not _files_match(plan, ns_plan, recorded, names, what, fix):
        return
    crcs = segment_crcs(ns_plan.items, plan.codec, plan.threads)
    differ = [item for item in ns_plan.items if crcs[item.key.key] != recorded[item.key.key]['crc32_int']]
    if differ:
        ns_plan.refuse('exists', '%s whose contents differ from the current segments (CRC-32 of %s): %s'
                       % (what, ', '.join(item.key.hex for item in differ[:3]), fix), path=manifest_path)
        return
    for item in ns_plan.items:
        item.file_size = recorded[item.key.key]['file_size']
    ns_plan.already_done = True


def _files_match(plan, ns_plan, recorded, names, what, fix):
    """The files, found by name in the folder listing, have the recorded sizes and CRCs: read them all."""
    folder = plan.folder
    jobs = []
    fds = []
    try:
        for item in ns_plan.items:
            entry = recorded[item.key.key]
            file_path = folder.join(item.file)
            try:
                if item.file not in names:
                    raise OSError(errno.ENOENT, 'missing')
                fd, st = folder.open_regular(item.file)
            except OSError:
                ns_plan.refuse('exists', '%s but its file %s is missing: %s' % (what, item.file, fix), path=file_path)
                return False
            fds.append(fd)
            if st.st_size != entry['file_size']:
                ns_plan.refuse('exists', '%s but its file %s is not the recorded %d bytes: %s'
                               % (what, item.file, entry['file_size'], fix), path=file_path)
                return False
            item.expected_crc = entry['crc32_int']
            item.chunk_size, item.chunk_offsets = entry.get('chunk_size'), entry.get('chunk_offsets')
            jobs.append(reader(item, fd, file_path, plan.codec, st.st_size))
        Engine(plan.threads).run(jobs)
    except ShmError as exc:
        ns_plan.refuse('exists', '%s but it is damaged: %s: %s' % (what, exc.msg, fix), path=exc.facts.get('path'))
        return False
    finally:
        for fd in fds:
            os.close(fd)
    return True


def execute_backup(plan, progress=None, verify=False, crc=True):
    """Back up every namespace the plan found ready; each one succeeds or leaves nothing behind.

    crc=False skips the CRC-32 of uncompressed files: only the benchmark uses it, to measure
    what the CRC costs. Returns the result document; raises ExecutionError (after cleaning up)
    when a namespace fails. Namespaces are independent, as in ASMT: one failing does not
    stop the others.
    """
    folder, created = plan.folder, []
    if plan.create_folder and plan.runnable():
        folder, created = _create_folders(plan)
    try:
        return execute_namespaces(
            plan, lambda ns, engine, summary: _backup_namespace(plan, folder, ns, engine, summary, verify, crc),
            progress)
    finally:
        _remove_empty(created)
        if folder is not plan.folder:
            folder.close()
        close_folder(plan)


def _create_folders(plan):
    """mkdir the planned parents and the folder (mode 0700, owned by the user running) inside the
    folder opened at plan time, never through the path again; returns (the folder, [(parent, name)])."""
    created = []
    parent = plan.parent_folder
    for folder in plan.create_parents + [plan.path]:
        name = os.path.basename(folder.rstrip('/'))
        try:
            child = parent.mkdir(name)
        except OSError as exc:
            _remove_empty(created)
            what = 'backup directory' if folder == plan.path else 'folder'
            raise ExecutionError('Could not create %s %s: %s. It did not exist when the backup was planned; plan '
                                 'again' % (what, folder, exc.strerror), path=folder, errno=exc.errno)
        parent.fsync()
        created.append((parent, name))
        parent = child
    return parent, created


def _remove_empty(created):
    """Remove the folders this run created, deepest first, as long as they are empty: a failed run leaves none."""
    for parent, name in reversed(created):
        try:
            os.rmdir(name, dir_fd=parent.fd)
        except OSError:
            return


def _backup_namespace(plan, folder, ns_plan, engine, summary, verify, crc):
    """Write the namespace's files and its manifest into folder; summary gets what was made."""
    attachments = []
    fds = []
    created = []
    for name in ns_plan.stale_files:
        folder.unlink_quietly(name)
    marker = _manifest.write_marker(folder, ns_plan.instance, ns_plan.namespace, VERSION,
                                    [item.file for item in ns_plan.items])
    try:
        for item in ns_plan.items:
            attachments.append(_sysv.Attachment(item.shmid, readonly=True))
        before = _check_sole_attachment(ns_plan.items, None)
        jobs = []
        for item, attachment in zip(ns_plan.items, attachments):
            fd = folder.create(item.file)
            created.append(item.file)
            fds.append(fd)
            if item.compressed:
                jobs.append(GzipWriter(item, attachment.view, fd, folder.join(item.file), plan.codec,
                                       2 * engine.threads, address=attachment.address))
            else:
                jobs.append(PlainWriter(item, attachment.view, fd, folder.join(item.file), plan.codec, crc=crc,
                                        address=attachment.address))
        engine.run(jobs)
        summary.made = dict((job.item.key.key, job.made) for job in jobs)
        _check_unchanged(plan, ns_plan, before, attachments, summary.made)
        if verify:
            _reread(plan, folder, ns_plan, fds, engine, summary.made)
        _check_linked(folder, ns_plan, fds)
        for fd in fds:
            os.close(fd)
        fds = []
        for attachment in attachments:
            attachment.detach()
        summary.fields['manifest'] = _write_manifest(plan, folder, ns_plan, summary.made, created)
        folder.unlink(os.path.basename(marker))
        folder.fsync()
    except BaseException:
        for fd in fds:
            os.close(fd)
        for attachment in attachments:
            attachment.detach()
        for name in created + [os.path.basename(marker)]:
            folder.unlink_quietly(name)
        folder.fsync()
        raise
    summary.fields['file_bytes'] = sum(made.file_size for made in summary.made.values())


def _write_manifest(plan, folder, ns_plan, made, created):
    """Write the namespace's manifest from what the run made; returns its path."""
    document = _manifest.build(
        ns_plan.instance, ns_plan.namespace, ns_plan.nsid, ns_plan.orphan, plan.compress, plan.codec.name, VERSION,
        [_manifest_entry(item, made[item.key.key]) for item in ns_plan.items],
        base=None if ns_plan.base is None else dict(ns_plan.base._asdict()), meta_n_arenas=ns_plan.meta_n_arenas)
    name = _manifest.manifest_name(ns_plan.instance, ns_plan.namespace)
    path = _manifest.write_atomic(folder, name, document)
    created.append(name)
    return path


def _check_linked(folder, ns_plan, fds):
    """Every file must still be linked under its name: a deleted or replaced one is a loss, not a backup."""
    lost = [item.file for item, fd in zip(ns_plan.items, fds) if not folder.same_file(item.file, fd)]
    if lost:
        raise ExecutionError('%s %s deleted or replaced while the backup ran (by another process); the backup was '
                             'removed: find what deletes files in %s, then back up again'
                             % (', '.join(folder.join(n) for n in lost), 'was' if len(lost) == 1 else 'were',
                                folder.path), files=lost)


def _check_unchanged(plan, ns_plan, before, attachments, made):
    """Fail only if a segment may have changed during the copy.

    A process that attached while we copied (a look by shm_info, pyasmt -a, monitoring) is
    harmless if it could not write: then the segment's CRC, computed again now through our
    own attachment, equals the CRC of what was written, and nobody attached while we did so.
    """
    now, intruders = _intruders(ns_plan.items, before)
    if not intruders:
        return
    writers = _sysv.writable_attachers([item.shmid for item in intruders])
    if not any(writers.values()) and all(made[item.key.key].crc32 is not None for item in intruders):
        jobs = [SegmentHasher(item, attachment.view, plan.codec)
                for item, attachment in zip(ns_plan.items, attachments) if item in intruders]
        Engine(plan.threads).run(jobs)
        changed = [job.item for job in jobs if job.crc != made[job.item.key.key].crc32]
        dummy, later = _intruders(intruders, now, moved_only=True)
        if not changed and not later:
            return
        intruders = changed or later
    _raise_intruders(intruders, now)


def _intruders(items, before, moved_only=False):
    """(now, items another process attached to since before, or is attached to besides us).

    moved_only: only those whose attach state moved since before (nattch included).
    """
    now = dict((e.shmid, e) for e in _sysv.list_segments())
    intruders = []
    for item in items:
        entry = now.get(item.shmid)
        if entry is None or entry.key != item.key.key:
            raise ExecutionError('segment %s disappeared during the backup' % item.key.hex, key=item.key.hex)
        # Times have a resolution of one second; the last attaching/detaching pid catches an
        # attach and detach within the second this run attached.
        then = before[item.shmid] if before is not None else None
        moved = then is not None and (entry.atime, entry.dtime, entry.lpid) != (then.atime, then.dtime, then.lpid)
        others = entry.nattch != then.nattch if moved_only else entry.nattch != 1
        if moved or others:
            intruders.append(item)
    return now, intruders


def _check_sole_attachment(items, before):
    """Fail unless this run is the only process attached now; returns the segments as they are.

    Taken right after attaching, this catches a process that attached between plan and run.
    """
    now, intruders = _intruders(items, before)
    if intruders:
        _raise_intruders(intruders, now)
    return now


def _raise_intruders(intruders, now):
    pids = _sysv.attaching_pids([item.shmid for item in intruders])
    last = dict((i.shmid, now[i.shmid].lpid) for i in intruders if now[i.shmid].lpid != os.getpid())
    described = ', '.join('%s (pids %s)' % (i.key.hex, ', '.join(str(p) for p in pids[i.shmid] if p != os.getpid())
                                            or ('%d, which has detached' % last[i.shmid] if i.shmid in last
                                                else 'unknown')) for i in intruders)
    raise ExecutionError('another process attached %s during the backup and may have changed it; the copy may not be '
                         'consistent and was removed: stop asd and whatever else attaches, then back up again'
                         % described, keys=[i.key.hex for i in intruders])


def _reread(plan, folder, ns_plan, fds, engine, made):
    """Read the written files back from disk, not from the page cache, and compare CRCs."""
    for fd in fds:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    engine.run([reader(item, fd, folder.join(item.file), plan.codec, made[item.key.key].file_size,
                       written=made[item.key.key]) for item, fd in zip(ns_plan.items, fds)])


def _manifest_entry(item, made):
    entry = {
        'file': item.file,
        'key': item.key.hex,
        'type': item.key.role,
        'stage': None if item.key.stage is None else '0x%03x' % item.key.stage,
        'segment_size': item.size,
        'file_size': made.file_size,
        'compressed': item.compressed,
        'uid': item.uid,
        'gid': item.gid,
        'mode': '0%03o' % (item.mode & 0o777),
        'crc32': None if made.crc32 is None else '0x%08x' % made.crc32,
    }
    if made.chunk_offsets:
        entry['chunk_size'] = made.chunk_size
        entry['chunk_offsets'] = made.chunk_offsets
    return entry
