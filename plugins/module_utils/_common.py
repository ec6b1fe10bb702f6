# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""What backup, restore and verify share: request checks, the execution loop, results."""

from __future__ import absolute_import, division, print_function

import contextlib
import signal
import threading
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv
from ansible_collections.fastrestart.aerospike.plugins.module_utils._codec import (
    get_codec,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._engine import (
    Engine,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ExecutionError,
    Interrupted,
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    BASE,
    DATA,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    READY,
    Plan,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._result import (
    DONE,
    FAILED,
    REFUSED,
    UNCHANGED,
    Result,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._transfer import (
    SegmentHasher,
)

__metaclass__ = type


def new_plan(operation, request, codec, compress=False):
    """The empty plan of a checked Request."""
    return Plan(operation, request.path, request.instance, request.threads, get_codec(codec), compress)


def close_folder(plan):
    """Release the backup folder a run went through (an open folder keeps its file system busy)."""
    folder = getattr(plan, 'folder', None)
    if folder is not None:
        folder.close()


def describe_found(members, instance):
    """What exists instead, so a 'not found' message helps choose the right name."""
    names = sorted(set(m.name for m in members if m.key.role in (BASE, DATA) and m.name))
    if not members:
        return 'There are no Aerospike segments for instance %d here (after a reboot they are gone: restore them from a ' \
               'backup).' % instance
    if not names:
        return 'Instance %d has %d Aerospike segments but none names a namespace.' % (instance, len(members))
    return 'Namespaces found for instance %d: %s.' % (instance, ', '.join("'%s'" % n for n in names))


def segment_crcs(items, codec, threads, shmids=None):
    """{key: CRC-32} of the live segments behind items (their shmid, or the one shmids gives for
    their key: segments a run made), read through read-only attachments."""
    attachments = []
    try:
        jobs = []
        for item in items:
            attachment = _sysv.Attachment((shmids or {}).get(item.key.key, item.shmid), readonly=True)
            attachments.append(attachment)
            jobs.append(SegmentHasher(item, attachment.view, codec))
        Engine(threads).run(jobs)
        return dict((job.item.key.key, job.crc) for job in jobs)
    finally:
        for attachment in attachments:
            attachment.detach()


STOP_SIGNALS = ('SIGTERM', 'SIGINT', 'SIGHUP')


@contextlib.contextmanager
def interruptible():
    """SIGTERM, SIGINT and SIGHUP (an SSH drop) raise KeyboardInterrupt inside the block.

    The core removes what it created on any exception, so the run leaves nothing behind.
    Only the first signal raises: a second one must not cut that clean-up short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def handler(signum, frame):
        if not fired:
            fired.append(signum)
            raise KeyboardInterrupt()
    numbers = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    previous = [(number, signal.signal(number, handler)) for number in numbers]
    try:
        yield
    finally:
        for number, old in previous:
            signal.signal(number, old)


def execute_namespaces(plan, run_one, progress=None, counted=(DONE,)):
    """Run run_one(ns_plan, engine, summary) for each ready namespace; collect results and failures.

    run_one fills in its NamespaceResult (what it made, its manifest; a state other than
    done, as verify's verdicts) and returns nothing. A namespace that fails has been cleaned
    up by run_one; the others still run, as in ASMT, and the first failure is raised at the
    end with every result attached. counted: the states whose bytes the result totals.
    """
    engine = Engine(plan.threads, progress)
    result = Result(plan, instance=plan.instance, codec=plan.codec.name, threads=engine.threads)
    failures = []
    for ns_plan in plan.namespaces:
        summary = result.add(ns_plan, nsid=ns_plan.nsid, warnings=list(ns_plan.warnings))
        if plan.problems or ns_plan.state != READY:
            summary.state = UNCHANGED if not plan.problems and ns_plan.already_done else REFUSED
            summary.fields.update({'manifest': ns_plan.manifest_path, 'segments': summary.segments(),
                                   'problems': [p.to_dict() for p in ns_plan.problems]})
            continue
        failure = _run_namespace(ns_plan, run_one, engine, summary)
        if failure is not None:
            failures.append(failure)
            if isinstance(failure, Interrupted):
                break
    document = result.to_dict(counted)
    if failures:
        first = failures[-1] if isinstance(failures[-1], Interrupted) else failures[0]
        raise type(first)(first.msg, result=document, **first.facts)
    return document


def _run_namespace(ns_plan, run_one, engine, summary):
    """Run one namespace into its summary; return the error it failed with (after its clean-up), or None."""
    begin = time.monotonic()
    error = None
    try:
        run_one(ns_plan, engine, summary)
        summary.state = summary.state or DONE
    except ShmError as exc:
        error = exc
    except (OSError, IOError) as exc:
        error = ExecutionError("namespace '%s': %s; everything this run created for it was removed"
                               % (ns_plan.namespace, exc))
    except KeyboardInterrupt:
        error = Interrupted("Interrupted by a signal during namespace '%s': what this run created for it was "
                            "removed; namespaces completed before are kept. Run the same command again to finish"
                            % ns_plan.namespace)
    if error is not None:
        # What a failed run made was removed: its segments are reported as planned.
        summary.made = {}
        summary.state, summary.error = FAILED, error.msg
        if isinstance(error, Interrupted):
            return error
    summary.seconds = round(time.monotonic() - begin, 3)
    summary.fields['segments'] = summary.segments()
    return error
