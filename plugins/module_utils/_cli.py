# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""bin/pyasmt: ASMT 2.2.1's command line over the core, plus --verify, --json and long options.

This file is the run's flow: arguments (_cli_arguments), then the core's plan, then its
execution, presented as ASMT's text (_cli_text) or one JSON document (_cli_json). What a run
does is decided by the core's plans, exactly as for the Ansible modules, so `pyasmt -a` and
check mode cannot disagree.
"""

from __future__ import absolute_import, division, print_function

import os
import shlex
import sys

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli_json
from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli_text
from ansible_collections.fastrestart.aerospike.plugins.module_utils._backup import (
    execute_backup,
    plan_backup,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._cli_arguments import (
    ASMT_VERSION,
    ArgumentError,
    GetoptError,
    check,
    parse,
    split_namespaces,
    usage_text,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._cli_text import (  # noqa: F401 pylint: disable=unused-import
    Output,
    Progress,
    elapsed_text,
    table_lines,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    interruptible,
    segment_crcs,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ShmError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    ALREADY_DONE,
    READY,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._restore import (
    execute_restore,
    plan_restore,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._verify import (
    execute_verify,
    plan_verify,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._version import (
    VERSION,
)

__metaclass__ = type

INTERRUPTED = ('Interrupted: the namespace in progress was cleaned up (its new files or segments removed); '
               'namespaces completed before the interruption are kept. Run the command again to finish.')


class Outcome:
    """How a run ended, for its JSON document: the message, the error, and the namespaces refused."""

    def __init__(self):
        self.message = None
        self.error = None
        self.failures = []          # (namespace, message) of namespaces refused or invalid
        self.invalid = []           # (name, message) of -n names no namespace can have
        self.command = None         # after a passed analysis: the command that runs it

    def fail(self, kind, message, **more):
        """An error that ends the run: it is the message too."""
        self.message = message
        self.error = dict({'type': kind, 'message': message}, **more)

    def core_error(self, exc):
        """A core error; the message stays what decided the run first, if anything did."""
        facts = dict((k, v) for k, v in exc.facts.items() if k not in ('result', 'plan'))
        self.error = {'type': type(exc).__name__, 'message': exc.msg, 'facts': facts}
        if self.message is None:
            self.message = exc.msg


class Run:
    """One invocation: options in, text and an exit status out."""

    asmt_version = ASMT_VERSION

    def __init__(self, argv, prog, stdout, stderr):
        self.argv = list(argv)
        self.prog = prog
        self.stdout = stdout
        self.stderr = stderr
        # Known before parsing so that even a getopt error is reported as a document.
        options = argv[:argv.index('--')] if '--' in argv else argv
        self.json = any(len(a) > 2 and '--json'.startswith(a.partition('=')[0]) for a in options)
        self.out = Output(stdout, stderr, self.json, False)
        self.opts = None
        self.plan = None
        self.result = None
        self.crcs = None            # analyze -c: the live segments' CRC-32s, shown in the table
        self.outcome = Outcome()

    def usage_error(self, message, full=False, hint=None):
        """ASMT: the message, a blank line, the usage; exit 1."""
        text = message if not hint else '%s %s' % (message, hint)
        if message:
            self.out.error(text)
            self.out.error()
        self.out.error(usage_text(self.prog, full))
        self.outcome.fail('UsageError', text or 'invalid command line; see the usage')
        return 1

    def main(self):
        try:
            opts = self.opts = parse(self.argv, self.prog)
        except GetoptError as exc:
            return self.usage_error(str(exc), full=True)
        self.json = opts.json
        self.out.info_stream = self.stderr if opts.json else self.stdout
        if opts.help or opts.version:
            self.json = False
            self.out.say(usage_text(self.prog, True) if opts.help else '%s %s (fastrestart.aerospike), compatible with '
                         'ASMT %s' % (self.prog, VERSION, ASMT_VERSION))
            return 0
        try:
            instance, threads = check(opts, self.out.error)
        except ArgumentError as exc:
            return self.usage_error(exc.message, full=exc.full, hint=exc.hint)
        self.out.verbose = opts.verbose
        _cli_text.banner(self.out, self.prog, self.argv, opts, ASMT_VERSION)
        if opts.namespaces is None and not opts.verify:
            return self.usage_error('Failed to extract namespace names from list.',
                                    hint="Name the namespaces with -n <name>[,<name>...].")
        names, empty = self.namespaces()
        if names == []:
            return 1
        status = self.guarded(names, instance, threads)
        if empty and status == 0:
            self.out.error()
            self.out.error('Invalid namespace name(s) provided.')
        return status

    def namespaces(self):
        """(names, count of empty names) from -n, as ASMT splits them; names [] when none is valid."""
        opts = self.opts
        if opts.namespaces is None:
            return None, 0
        names, empty, repeated, invalid = split_namespaces(opts.namespaces)
        self.outcome.invalid = invalid
        for name in repeated:
            self.out.info("Namespace '%s' is listed more than once: processing it once." % name)
        for name, message in invalid:
            self.out.error(message)
            self.outcome.failures.append((name, message))
        if not names:
            self.out.error('Invalid namespace name(s) provided. Name at least one namespace with -n '
                           '<name>[,<name>...] (names are separated by commas, without spaces).')
            self.outcome.fail('UsageError', 'no valid namespace name in -n %r' % opts.namespaces)
        return names, empty

    def guarded(self, names, instance, threads):
        """operate(), with a core or system error said in one line instead of a traceback."""
        try:
            return self.operate(names, instance, threads)
        except ShmError as exc:
            # Raised before anything changed (the core plans first) or after cleaning up.
            self.out.error(exc.msg)
            self.outcome.core_error(exc)
        except (IOError, OSError) as exc:
            message = '%s%s: check the path and permissions' % (
                exc.strerror or exc, " '%s'" % exc.filename if getattr(exc, 'filename', None) else '')
            self.out.error(message)
            self.outcome.fail(type(exc).__name__, message, errno=exc.errno)
        return 1

    def operate(self, names, instance, threads):
        opts = self.opts
        if opts.backup:
            self.plan = plan_backup(opts.path, names, instance, compress=opts.compress, threads=threads,
                                    allow_volatile_path=opts.allow_volatile_path)
        elif opts.restore:
            self.plan = plan_restore(opts.path, names, instance, threads=threads,
                                     remove_unfinished=opts.remove_unfinished)
        else:
            self.plan = plan_verify(opts.path, names, instance, threads=threads)
        if opts.analyze and opts.crc and opts.backup:
            self.analyze_crcs()
        self.report_plan()
        if opts.analyze:
            return self.finish_analyze()
        runnable = self.plan.runnable()
        if not runnable:
            return self.finish_without_run()
        return self.execute(runnable)

    def analyze_crcs(self):
        """ASMT's -a -c reads every segment to show its CRC-32; so does this (a real cost). The plan is not changed."""
        self.crcs = {}
        for ns_plan in self.plan.namespaces:
            if ns_plan.state == READY and ns_plan.items and all(i.shmid is not None for i in ns_plan.items):
                self.crcs.update(segment_crcs(ns_plan.items, self.plan.codec, self.plan.threads))

    def report_plan(self):
        self.outcome.failures.extend(_cli_text.report_plan(self.out, self.plan, self.opts.analyze, self.opts.crc,
                                                           self.crcs))

    def finish_analyze(self):
        plan, opts, outcome = self.plan, self.opts, self.outcome
        status = 0 if plan.ok and not outcome.failures else 1
        if plan.ok and outcome.failures:
            outcome.message = outcome.failures[0][1]
            self.out.say('Analysis failed: %s.' % self.failure_count_text())
        elif plan.ok:
            outcome.message = 'analyze: %s' % plan.message()
            self.out.say('Analysis passed: %s.' % plan.message())
            ready = [ns for ns in plan.namespaces if ns.state == READY]
            if ready and not any(ns.orphan for ns in ready) and opts.namespaces is not None:
                outcome.command = self.suggested_command(ready[0].instance)
                self.out.info()
                self.out.info(outcome.command)
        else:
            outcome.message = 'analyze: %s' % plan.message()
            self.out.say('Analysis failed: %s.' % self.failure_count_text())
        self.result = self.unrun_result(plan.bytes)
        return status

    def suggested_command(self, instance):
        opts = self.opts
        parts = [self.prog, '-' + opts.operation[0] if not opts.verify else '--verify', '-i', str(instance),
                 '-p', shlex.quote(opts.path)]
        if opts.namespaces is not None:
            parts += ['-n', shlex.quote(opts.namespaces)]
        flags = ((opts.backup and opts.compress, '-z'), (opts.crc and not opts.verify, '-c'),
                 (opts.backup and opts.allow_volatile_path, '--allow-volatile-path'),
                 (opts.restore and opts.remove_unfinished, '--remove-unfinished'))
        return ' '.join(parts + [flag for wanted, flag in flags if wanted])

    def failure_count_text(self):
        refused = [failure[0] for failure in self.outcome.failures if failure[0]]
        if self.plan is not None and self.plan.problems:
            return self.plan.problems[0].message
        return '%d namespace%s would fail (%s); see the messages above' % (
            len(refused), '' if len(refused) == 1 else 's', ', '.join("'%s'" % n for n in refused))

    def unrun_result(self, nbytes):
        """The result of a run that executed nothing: each namespace as the plan left it."""
        def summary(ns_plan):
            state = 'refused' if ns_plan.problems or self.plan.problems else (
                'unchanged' if ns_plan.state == ALREADY_DONE else 'ready')
            return {'namespace': ns_plan.namespace, 'instance': ns_plan.instance, 'nsid': ns_plan.nsid,
                    'state': state, 'bytes': ns_plan.bytes, 'files': len(ns_plan.items)}
        return {'bytes': nbytes, 'seconds': 0.0, 'gb_per_s': None,
                'namespaces': [summary(ns) for ns in self.plan.namespaces]}

    def finish_without_run(self):
        plan, outcome = self.plan, self.outcome
        self.result = self.unrun_result(0)
        if plan.ok and not outcome.failures:
            outcome.message = plan.message()
            if plan.operation == 'verify':
                self.out.say('Nothing to verify in %s.' % plan.path)
            return 0
        outcome.message = plan.message() if not plan.ok else outcome.failures[0][1]
        return 1

    def execute(self, runnable):
        plan, opts = self.plan, self.opts
        total = sum(ns.bytes for ns in runnable)
        if plan.operation == 'backup' and opts.crc:
            total *= 2          # every written file is read back
        progress = Progress(self.out, total, opts.verbose, _cli_text.isatty(self.stderr))
        error = None
        try:
            if plan.operation == 'backup':
                self.result = execute_backup(plan, progress=progress, verify=opts.crc)
            elif plan.operation == 'restore':
                self.result = execute_restore(plan, progress=progress, verify=opts.crc)
            else:
                self.result = execute_verify(plan, progress=progress)
        except ShmError as exc:
            error = exc
            self.result = exc.facts.get('result')
            self.outcome.core_error(exc)
        finally:
            progress.finish()
        if self.result is None:
            # Failed before any namespace ran (cannot create the folder, say).
            self.out.error(error.msg)
            return 1
        if plan.operation == 'verify':
            _cli_text.report_verify(self.out, plan, self.result, opts.verbose)
        else:
            _cli_text.report_results(self.out, plan, self.result, opts.crc)
        return self.verdict()

    def verdict(self):
        """0 when every namespace succeeded or had nothing to do; the message says what decided it."""
        outcome, result = self.outcome, self.result
        failed = [ns for ns in result['namespaces'] if ns.get('state') in ('failed', 'damaged', 'drift')]
        if outcome.failures or failed or not self.plan.ok:
            if outcome.error is None:
                if outcome.failures:
                    outcome.message = outcome.failures[0][1]
                elif failed and failed[0].get('error'):
                    outcome.message = failed[0]['error']
                else:
                    outcome.message = self.plan.message()
            return 1
        outcome.message = self.success_text()
        return 0

    def success_text(self):
        result = self.result
        verb = {'backup': 'backed up', 'restore': 'restored', 'verify': 'verified'}[self.plan.operation]
        names = [s['namespace'] for s in result['namespaces'] if s.get('state') in ('done', 'verified')]
        unchanged = [s['namespace'] for s in result['namespaces'] if s.get('state') == 'unchanged']
        parts = []
        if names:
            parts.append('%s %s (%d bytes) in %.3f s' % (verb, ', '.join(names), result['bytes'], result['seconds']))
        if unchanged:
            parts.append('%s already %s' % (', '.join(unchanged), verb))
        return '; '.join(parts) or 'nothing to do'


def main(argv=None, prog=None, stdout=None, stderr=None):
    """Run the command line; return the exit status (0 success, 1 any failure)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = prog or os.environ.get('PYASMT_PROG') or os.path.basename(sys.argv[0] or 'pyasmt')
    prog = prog[:-3] if prog.endswith('.py') else prog
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    run = Run(argv, prog, stdout, stderr)
    try:
        # SIGTERM, SIGINT and SIGHUP clean up as an interrupt does: the core removes what it made.
        with interruptible():
            status = run.main()
    except Exception as exc:  # pylint: disable=broad-except
        # No input may end in a traceback: say what failed and keep the JSON document.
        message = 'internal error: %s: %s; nothing half-done was kept. Please report this with the command line' % (
            type(exc).__name__, exc)
        run.out.error(message)
        run.outcome.fail(type(exc).__name__, message)
        status = 1
    except KeyboardInterrupt:
        run.out.clear_progress()
        run.out.error()
        run.out.error(INTERRUPTED)
        run.outcome.fail('KeyboardInterrupt', INTERRUPTED)
        status = 1
    if run.json:
        _cli_json.write(stdout, _cli_json.document(run, status))
    return status
