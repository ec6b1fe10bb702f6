# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Restore namespaces' segment sets from a backup folder: plan (ASMT's analyze), then execute.

A server that starts must never find a set that looks valid but is not: every segment is
created 0600 and left empty until its data is in place and checked, and the base, which
makes a set usable, is filled last, after all the others. Owners and modes come at the end.
"""

from __future__ import absolute_import, division, print_function

import errno
import os

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _fileformat
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _folder
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _journal
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _manifest
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._capacity import (
    Needs,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    close_folder,
    execute_namespaces,
    new_plan,
    segment_crcs,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._discovery import (
    file_members,
    folder_entries,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    IntegrityError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
    TYPE_DATA,
    TYPE_PRIMARY,
    TYPE_SECONDARY,
    decode,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._layout import (
    BASE_MIN_SIZE,
    BASE_VERSIONS,
    CLEAN_SHUTDOWN,
    parse_base,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    ALREADY_DONE,
    READY,
    Item,
    NamespacePlan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._refusals import (
    refuse_attached,
    refuse_exists,
    refuse_not_found,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    Request,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._result import (
    Made,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._segment_set import (
    FILES,
    completeness_problems,
    restore_sanity_problems,
    select,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._transfer import (
    reader,
)

__metaclass__ = type

_KIND = {TYPE_PRIMARY: 'primary index', TYPE_SECONDARY: 'secondary index', TYPE_DATA: 'data'}


def plan_restore(path, namespaces, instance=0, threads=None, codec='auto', entries=None, meminfo=_sysv.MEMINFO,
                 remove_unfinished=False):
    """Everything a restore would do, and every reason it would refuse. Changes nothing.

    remove_unfinished takes over segments that a killed restore of the same set left behind
    without a journal (their base still empty), once they are proved unattached.
    """
    request = Request.operation(path, namespaces, instance, threads)
    namespaces = request.namespaces
    plan = new_plan('restore', request, codec)
    plan.remove_unfinished = remove_unfinished
    path = plan.path
    if entries is None:
        entries = _sysv.list_segments()
    if not open_folder(plan):
        for namespace in namespaces:
            plan.namespaces.append(NamespacePlan('restore', namespace, instance))
        _plan_capacity(plan, entries, meminfo)
        return plan
    folder = plan.folder
    names, invalid = folder_entries(folder)
    for name in invalid:
        plan.warnings.append("Segment file name '%s' contains invalid characters." % name)
    found = _manifest.find(folder)
    members = file_members(folder, instance, plan.codec, names)

    for namespace in namespaces:
        ns_plan = NamespacePlan('restore', namespace, instance)
        plan.namespaces.append(ns_plan)
        plan_namespace(plan, ns_plan, members, entries, found.get((instance, namespace), {}))

    modes = dict((item.file, item.member.mode) for ns in plan.namespaces for item in ns.items)
    for code, message in _folder.folder_problems(folder, modes):
        plan.refuse(code, message, path=path)
    _plan_capacity(plan, entries, meminfo)
    return plan


def open_folder(plan):
    """Open the backup folder once, checking it and every folder above it; False when refused."""
    path = plan.path
    try:
        plan.folder = _folder.open_trusted(path)
    except _folder.UntrustedFolder as exc:
        plan.refuse(exc.code, exc.message, path=path)
        return False
    except OSError as exc:
        plan.refuse('folder', "Cannot read from directory '%s': %s. Give an existing backup folder that root can read."
                    % (path, exc.strerror or exc), path=path)
        return False
    return True


def marker_problem(plan, ns_plan, marker):
    """Refuse an unfinished backup: a live one is running; a dead one's files are named exactly."""
    folder = plan.folder
    document = _manifest.read_marker(folder, os.path.basename(marker))
    pid = _manifest.marker_owner(document)
    if pid is not None:
        ns_plan.refuse('in-progress', "another backup is running (pid %d) into %s for namespace '%s': wait for it to "
                       "finish, then run this again" % (pid, plan.path, ns_plan.namespace), path=marker, pids=[pid])
        return
    listed = document.get('files') if isinstance(document.get('files'), list) else []
    left = [n for n in listed if isinstance(n, str) and n == os.path.basename(n) and folder.exists(n)]
    left.append(os.path.basename(marker))
    ns_plan.refuse('in-progress', "%s holds the unfinished backup of namespace '%s' of a run that stopped (pid %s, "
                   "started %s): it cannot be restored. Run that backup again to finish it, or remove its files: %s"
                   % (plan.path, ns_plan.namespace, document.get('pid', 'unknown'), document.get('started', 'unknown'),
                      ' '.join(folder.join(n) for n in left)), path=marker)


def plan_namespace(plan, ns_plan, members, entries, marker_and_manifest):
    """Plan one namespace from the files; entries (live segments) None skips the shared-memory checks."""
    namespace, instance, path = ns_plan.namespace, ns_plan.instance, plan.path
    if not _plan_manifest(plan, ns_plan, marker_and_manifest):
        return
    found, problems = select(members, namespace, instance)
    for code, message in problems:
        ns_plan.refuse(code, message)
    if found is None:
        if not problems:
            known = sorted(set(m.name for m in members if m.key.role in (BASE, DATA) and m.name))
            refuse_not_found(ns_plan, 'segment files', ' in %s' % path, ' Namespaces there: %s.' % ', '.join(
                "'%s'" % n for n in known) if known else '')
        return
    ns_plan.take_set(found)
    set_members = found.members()
    _plan_unreadable(plan, ns_plan, members, set_members)
    if ns_plan.problems:
        return
    for code, message in completeness_problems(found, FILES) + restore_sanity_problems(found, path):
        ns_plan.refuse(code, message)
    if found.base is not None and found.base.base is not None and found.base.base.shutdown != CLEAN_SHUTDOWN:
        ns_plan.warnings.append('base file %s records shutdown status %d, not a clean shutdown: asd will cold start '
                                'from it' % (found.base.file, found.base.base.shutdown))
    for member in set_members:
        ns_plan.items.append(Item(member, member.file, member.compressed))
    if ns_plan.manifest is not None:
        _plan_against_manifest(ns_plan, path)
    else:
        ns_plan.warnings.append("no manifest for namespace '%s' (a backup by C ASMT or made by hand): compressed files are "
                                "checked against their gzip trailers, uncompressed ones cannot be checked" % namespace)
    if entries is not None and not ns_plan.problems:
        _plan_existing_segments(plan, ns_plan, entries)


def _plan_manifest(plan, ns_plan, marker_and_manifest):
    """Load the namespace's manifest, if it has one; False when an unfinished backup or a bad manifest refuses it."""
    marker = marker_and_manifest.get('marker')
    if marker:
        marker_problem(plan, ns_plan, marker)
        return False
    manifest_path = marker_and_manifest.get('manifest')
    if manifest_path:
        try:
            ns_plan.manifest = _manifest.load(manifest_path, plan.folder)
            ns_plan.manifest_path = manifest_path
        except IntegrityError as exc:
            ns_plan.refuse('manifest', exc.msg, path=manifest_path)
            return False
    return True


def _plan_unreadable(plan, ns_plan, members, set_members):
    """Refuse files that cannot be read, or that might belong to the set; and a key present twice."""
    path = plan.path
    for member in set_members:
        if member.problem:
            ns_plan.refuse('unreadable', member.problem, keys=[member.key.key], path=os.path.join(path, member.file))
    if ns_plan.orphan:
        # A base whose name cannot be read may be this namespace's: restoring its stripes alone
        # would be C ASMT's silent orphan restore of a misread base (docs/asmt-format.md §7, difference 15).
        for member in members:
            if member.key.role == BASE and member.problem:
                ns_plan.refuse('unreadable', "%s; cannot tell whether it is the base of namespace '%s', so its data "
                               "stripes are not restored alone" % (member.problem, ns_plan.namespace),
                               keys=[member.key.key], path=os.path.join(path, member.file))
    _plan_unknown_stripes(ns_plan, members, path)
    keys = [m.key.key for m in set_members]
    for key in sorted(set(k for k in keys if keys.count(k) > 1)):
        ns_plan.refuse('duplicate', 'segment 0x%08x is in %s twice, as .dat and as .dat.gz: remove the one that is not '
                       'from the backup' % (key, path), keys=[key])


def _plan_unknown_stripes(ns_plan, members, path):
    """A stripe whose namespace cannot be read might belong to this set: without a manifest
    to say which files the set has, refuse rather than restore without it."""
    if ns_plan.manifest is not None:
        listed = set(e['key_int'] for e in ns_plan.manifest['files'])
        unknown = [m for m in members if m.key.role == DATA and m.problem and m.key.key in listed]
    else:
        unknown = [m for m in members if m.key.role == DATA and m.problem]
    for member in unknown:
        if member not in ns_plan.namespace_set.data:
            ns_plan.refuse('unreadable', '%s; cannot tell whether this data stripe belongs to namespace \'%s\''
                           % (member.problem, ns_plan.namespace), keys=[member.key.key],
                           path=os.path.join(path, member.file))


def _plan_against_manifest(ns_plan, path):
    """The files found must be exactly the ones the manifest lists, with the recorded sizes."""
    manifest = ns_plan.manifest
    recorded = dict((e['key_int'], e) for e in manifest['files'])
    current = dict((item.key.key, item) for item in ns_plan.items)
    for key in sorted(set(recorded) - set(current)):
        ns_plan.refuse('manifest-mismatch', '%s is missing: the manifest %s lists it; the backup is incomplete'
                       % (os.path.join(path, recorded[key]['file']), ns_plan.manifest_path), keys=[key])
    for key in sorted(set(current) - set(recorded)):
        ns_plan.refuse('manifest-mismatch', "%s belongs to namespace '%s' but the manifest %s does not list it: remove it "
                       "or restore from a clean backup" % (os.path.join(path, current[key].file), ns_plan.namespace,
                                                           ns_plan.manifest_path), keys=[key])
    for key, item in current.items():
        entry = recorded.get(key)
        if entry is None:
            continue
        file_path = os.path.join(path, item.file)
        if entry['file'] != item.file or bool(entry['compressed']) != item.compressed:
            ns_plan.refuse('manifest-mismatch', '%s: the manifest records this segment as %s' % (file_path, entry['file']),
                           keys=[key])
        elif entry['file_size'] != item.file_size:
            ns_plan.refuse('manifest-mismatch', '%s is %d bytes, the manifest records %d: the file is damaged or '
                           'incomplete' % (file_path, item.file_size, entry['file_size']), keys=[key], path=file_path)
        elif entry['segment_size'] != item.size:
            ns_plan.refuse('manifest-mismatch', '%s holds a segment of %d bytes, the manifest records %d: the file is '
                           'damaged' % (file_path, item.size, entry['segment_size']), keys=[key], path=file_path)
        item.expected_crc = entry['crc32_int']
        _owner_from_manifest(ns_plan, item, entry, file_path)
        if item.compressed and entry.get('chunk_offsets'):
            item.chunk_size = entry.get('chunk_size')
            item.chunk_offsets = list(entry['chunk_offsets'])


def _owner_from_manifest(ns_plan, item, entry, file_path):
    """The segment gets the owner and mode the manifest recorded, whatever the file has now."""
    recorded = (entry['uid'], entry['gid'], entry['mode_int'] & 0o777)
    if (item.uid, item.gid, item.mode) != recorded:
        ns_plan.warnings.append('%s has owner %d:%d mode %s, the manifest records %d:%d mode %s: the segment gets the '
                                "manifest's; someone changed the file (check who, and run chown/chmod back)"
                                % (file_path, item.uid, item.gid, '0%03o' % item.mode, recorded[0], recorded[1],
                                   '0%03o' % recorded[2]))
        ns_plan.drift.append(item.file)
    item.uid, item.gid, item.mode = recorded


def _plan_existing_segments(plan, ns_plan, entries):
    """Refuse to touch a set that exists; recognise one equal to the backup as already restored."""
    planned = dict((item.key.key, item) for item in ns_plan.items)
    existing = []
    for entry in entries:
        key = decode(entry.key)
        if key is None:
            continue
        same_set = not ns_plan.orphan and key.instance == ns_plan.instance and key.nsid == ns_plan.nsid
        if same_set or entry.key in planned:
            existing.append((key, entry))
    if not existing:
        return
    if refuse_attached(ns_plan, [entry for dummy, entry in existing],
                       "segments of namespace '{namespace}' exist and are attached ({keys}, pids {pids}): asd is running "
                       "on them, so there is nothing to restore; stop asd first if you mean to replace them",
                       limit=3, namespace=ns_plan.namespace):
        return
    if _equal_to_backup(plan, ns_plan, existing, planned):
        ns_plan.already_done = True
        return
    if _take_over(plan, ns_plan, existing):
        return
    newer = _newer_than_backup(plan, ns_plan, existing)
    for key, entry in existing:
        if newer:
            advice = (" These segments are newer than the backup: they hold a valid index made at %s, after the backup "
                      "of %s, so asd has run on them since. Do not remove them to restore this backup: that would bring "
                      "back the index as of the backup, losing what was written since, over storage that has moved on. "
                      "Start asd on them, or take a new backup of them." % newer)
        elif _unfinished(existing):
            advice = _unfinished_advice(plan, ns_plan, existing)
        else:
            advice = (" If asd is stopped and these segments are stale, remove them (shm_segments state=absent, or "
                      "ipcrm -M 0x%08x) and restore again." % entry.key)
        refuse_exists(ns_plan, '%s segment 0x%08x' % (_KIND[key.type_byte], entry.key), 'restore associated file', advice,
                      nsid=key.nsid, keys=[entry.key])


def _unfinished(existing):
    """True when the set's base is missing or still empty: made by a restore that never finished.

    The restore fills the base last, so only a finished one (or asd) leaves a valid base.
    """
    base = [entry for key, entry in existing if key.role == BASE]
    if not base:
        return True
    try:
        header = parse_base(_sysv.read_prefix(base[0].shmid, BASE_MIN_SIZE))
    except Exception:  # pylint: disable=broad-except
        return False
    return header.version not in BASE_VERSIONS


def _unfinished_advice(plan, ns_plan, existing):
    described = ', '.join('0x%08x (shmid %d)' % (e.key, e.shmid) for dummy, e in existing)
    return (" These segments (%s) are an unfinished restore: their base is still empty and no journal of that restore "
            "is left. Remove exactly them, after a check that nothing is attached, and restore: pyasmt -r "
            "--remove-unfinished -i %d -p %s -n %s (or shm_restore remove_unfinished=true, or shm_segments nsid=%d "
            "state=absent)." % (described, ns_plan.instance, plan.path, ns_plan.namespace, ns_plan.nsid))


def _take_over(plan, ns_plan, existing):
    """Plan to remove what a killed restore of this set left, when its journal (or the operator) proves it ours."""
    journal = _journal.load(ns_plan.instance, ns_plan.namespace)
    entries = [entry for dummy, entry in existing]
    if journal is not None and _manifest.marker_owner(journal) not in (None, os.getpid()):
        ns_plan.refuse('in-progress', "another restore of namespace '%s' is running (pid %d): wait for it to finish"
                       % (ns_plan.namespace, journal['pid']), pids=[journal['pid']])
        return True
    if journal is not None and _journal.owns(journal, entries):
        why = 'a restore killed at %s (pid %s) left them' % (_host.now_iso(journal.get('started', 0)), journal['pid'])
    elif getattr(plan, 'remove_unfinished', False) and _unfinished(existing):
        why = 'they are an unfinished restore (empty base) and --remove-unfinished was given'
    else:
        return False
    ns_plan.takeover = entries
    ns_plan.warnings.append('will remove segments %s first: %s; then restore again'
                            % (', '.join('0x%08x (shmid %d)' % (e.key, e.shmid) for e in entries), why))
    return True


def _newer_than_backup(plan, ns_plan, existing):
    """(made, backup) times when the existing set has a valid base made after the backup, else None.

    Segments are made when asd starts or a restore ends (owners are set last, which stamps
    ctime), both before the backup of a set backed up from them. A later one with a valid
    base means asd has written to the set since: the backup is older than the index. A
    restore killed half-way also leaves later segments, but its base is still zeros.
    """
    if ns_plan.manifest is not None:
        backup_time = ns_plan.manifest.get('created_epoch')
    else:
        try:
            backup_time = max(plan.folder.lstat(item.file).st_mtime for item in ns_plan.items)
        except (OSError, ValueError):
            backup_time = None
    base = [entry for key, entry in existing if key.role == BASE]
    if backup_time is None or not base or base[0].ctime <= backup_time:
        return None
    try:
        header = parse_base(_sysv.read_prefix(base[0].shmid, BASE_MIN_SIZE))
    except Exception:  # pylint: disable=broad-except
        # Gone, or not attachable: nothing proves asd ran on it.
        return None
    if header.version not in BASE_VERSIONS:
        return None
    return _host.now_iso(base[0].ctime), _host.now_iso(backup_time)


def _equal_to_backup(plan, ns_plan, existing, planned):
    """True when exactly the planned segments exist, unattached, with the backup's size, owner, mode and CRC."""
    if ns_plan.manifest is None or len(existing) != len(planned):
        return False
    for key, entry in existing:
        item = planned.get(entry.key)
        if item is None or entry.size != item.size or (entry.uid, entry.gid, entry.mode) != (item.uid, item.gid, item.mode):
            return False
    shmids = dict((entry.key, entry.shmid) for key, entry in existing)
    crcs = segment_crcs(ns_plan.items, plan.codec, plan.threads, shmids)
    if any(crcs[k] != item.expected_crc for k, item in planned.items()):
        return False
    # Already restored: the plan shows the segments that are the backup.
    for k, item in planned.items():
        item.shmid = shmids[k]
    return True


def _plan_capacity(plan, entries, meminfo):
    """The kernel limits the restore needs (_capacity's rule, kept in the plan's facts for
    shm_restore, pyasmt and the boot-restore service), refused where the kernel allows less.

    Namespaces already restored create nothing; refused ones count, since the restore they
    are meant for needs them once the refusal is cleared. Only a plan with something ready
    is checked against the kernel and memory: otherwise nothing would be created anyway.
    """
    create = [(item.key.key, item.size) for ns in plan.namespaces if ns.state != ALREADY_DONE for item in ns.items]
    needs = Needs(create, entries)
    plan.facts['required_limits'] = needs.limits()
    if not any(ns.state == READY and ns.items for ns in plan.namespaces):
        return
    limits = _sysv.kernel_limits()
    plan.facts.update({'kernel_limits': limits, 'needed_bytes': needs.need_bytes, 'needed_pages': needs.need_pages,
                       'used_pages': needs.used_pages, 'segments_in_use': len(needs.present),
                       'largest_segment': needs.largest[1]})
    for message in needs.shortfalls(limits):
        plan.refuse('kernel-limits', message)
    available = _sysv.mem_available(meminfo)
    plan.facts['mem_available'] = available
    if available is not None and needs.need_bytes > available:
        plan.refuse('memory', 'the restore needs %d bytes of shared memory but only %d are available (MemAvailable): '
                    'free memory on the host first' % (needs.need_bytes, available))


def execute_restore(plan, progress=None, verify=False):
    """Restore every namespace the plan found ready; each one succeeds or leaves no segment behind.

    verify (ASMT's -c) reads every restored segment back once it is filled and compares its
    CRC-32 with the one computed while filling it; a mismatch fails the namespace, and like
    any failure that removes all of its segments.
    """
    try:
        return execute_namespaces(
            plan, lambda ns, engine, summary: _restore_namespace(plan, ns, engine, summary, verify), progress)
    finally:
        close_folder(plan)


def _create(item):
    try:
        return _sysv.create_segment(item.key.key, item.size)
    except OSError as exc:
        hint = {
            errno.EEXIST: 'a segment with this key appeared since the analysis; is asd starting?',
            errno.EINVAL: 'the size is outside kernel.shmmin..kernel.shmmax (%d): check sysctl kernel.shmmax and the '
                          'backup file' % item.size,
            errno.ENOSPC: 'kernel.shmall or kernel.shmmni is too low for this restore',
            errno.ENOMEM: 'the host is out of memory',
        }.get(exc.errno, '')
        raise ExecutionError('Could not create segment with key %s: error was %d: %s. %s'
                             % (item.key.hex, exc.errno, exc.strerror, hint), key=item.key.hex, errno=exc.errno)


def _remove_taken_over(ns_plan):
    """Remove what a killed restore left, if it is still exactly that and still unattached."""
    now = dict((e.shmid, e) for e in _sysv.list_segments())
    for entry in ns_plan.takeover:
        current = now.get(entry.shmid)
        if current is None or current.key != entry.key or current.nattch:
            raise ExecutionError('segment 0x%08x (shmid %d) changed since the analysis (%s): nothing was removed; run the '
                                 'restore again' % (entry.key, entry.shmid, 'gone' if current is None else
                                                    'attached' if current.nattch else 'replaced'), key='0x%08x' % entry.key)
    for entry in ns_plan.takeover:
        _sysv.remove_segment(entry.shmid)


def _open_files(plan, ns_plan):
    """Open every file through the folder descriptor; each must still be the regular file planned."""
    fds = []
    try:
        for item in ns_plan.items:
            file_path = plan.folder.join(item.file)
            try:
                fd, st = plan.folder.open_regular(item.file)
            except OSError as exc:
                raise IntegrityError('%s cannot be opened as a regular file (%s): it was replaced since the analysis; '
                                     'restore again from a stable backup' % (file_path, exc.strerror or exc),
                                     path=file_path)
            fds.append(fd)
            if st.st_size != item.file_size:
                raise IntegrityError('%s changed since the analysis (now %d bytes, then %d): it is being modified or '
                                     'was replaced; restore again from a stable backup'
                                     % (file_path, st.st_size, item.file_size), path=file_path)
            if item.compressed:
                _fileformat.read_header(fd, file_path)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def _restore_namespace(plan, ns_plan, engine, summary, verify=False):
    """Create, fill (base last), then set owners; the journal under /run tracks what exists.

    summary gets the shmid and CRC-32 of every segment made; on any failure every segment
    this run created is removed.
    """
    created = []
    attachments = []
    fds = _open_files(plan, ns_plan)
    journal = None
    try:
        if ns_plan.takeover:
            _remove_taken_over(ns_plan)
        journal = _journal.Journal(ns_plan.instance, ns_plan.namespace, plan.path)
        journal.intend([item.key.key for item in ns_plan.items])
        for item in ns_plan.items:
            created.append(_create(item))
            journal.record(item.key.key, created[-1])
            attachments.append(_sysv.Attachment(created[-1], readonly=False))
        jobs = [reader(item, fd, plan.folder.join(item.file), plan.codec, item.file_size, target=attachment)
                for item, fd, attachment in zip(ns_plan.items, fds, attachments)]
        # The base goes last, alone, once everything else is in place and checked.
        engine.run([job for job in jobs if job.item.key.role != BASE])
        engine.run([job for job in jobs if job.item.key.role == BASE])
        _set_owners(ns_plan, attachments)
        summary.made = dict((job.item.key.key, Made(crc32=job.crc, shmid=shmid)) for job, shmid in zip(jobs, created))
        if verify:
            _reread(plan, ns_plan, summary.made)
            summary.fields['crc_checked'] = True
    except BaseException:
        for attachment in attachments:
            attachment.detach()
        for shmid in created:
            _sysv.remove_segment(shmid)
        raise
    finally:
        for fd in fds:
            os.close(fd)
        if journal is not None:
            journal.close()
    for attachment in attachments:
        attachment.detach()
    summary.fields['manifest'] = ns_plan.manifest_path


def _reread(plan, ns_plan, made):
    """Read the restored segments back; raise IntegrityError on the first CRC-32 that differs."""
    crcs = segment_crcs(ns_plan.items, plan.codec, plan.threads, dict((k, m.shmid) for k, m in made.items()))
    bad = [item for item in ns_plan.items if crcs[item.key.key] != made[item.key.key].crc32]
    if bad:
        key = bad[0].key
        raise IntegrityError("crc32-check failed for restored segment %s of namespace '%s' (read back 0x%08x, restored "
                             "0x%08x): every segment of the namespace was removed; check the host's memory and restore "
                             "again" % (key.hex, ns_plan.namespace, crcs[key.key], made[key.key].crc32), key=key.hex)


def _set_owners(ns_plan, attachments):
    ordered = sorted(zip(ns_plan.items, attachments), key=lambda pair: pair[0].key.role == BASE)
    for item, attachment in ordered:
        try:
            attachment.set_owner(item.uid, item.gid, item.mode)
        except Exception as exc:  # pylint: disable=broad-except
            raise ExecutionError('Unable to set uid, gid, or mode for shared memory segment %s: %s'
                                 % (item.key.hex, exc), key=item.key.hex)
