# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""bin/pyasmt: ASMT 2.2.1's command line over the core, plus --verify, --json and long options.

Only the command line lives here: parsing, validation in ASMT's order, the text ASMT prints
and the JSON document. What a run does is decided by the core's plans, exactly as for the
Ansible modules, so `pyasmt -a` and check mode cannot disagree.
"""

from __future__ import absolute_import, division, print_function

import grp
import json
import os
import pwd
import shlex
import sys
import threading
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils._backup import (
    execute_backup,
    plan_backup,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._common import (
    interruptible,
    rate,
    segment_crcs,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    ShmError,
    UsageError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    DATA,
    INSTANCE_MAX,
    TABLE_ORDER,
    stage_text,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    ALREADY_DONE,
    READY,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    MAX_THREADS,
    check_instance,
    check_namespace,
    check_threads,
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

ASMT_VERSION = '2.2.1'
# ASMT's "use the default" values for -i (any instance) and -t (one thread per CPU).
ANY_INSTANCE = 65535
DEFAULT_THREADS = 65535
# Redrawing the terminal line more often only costs time.
PROGRESS_INTERVAL = 0.25

# name: (short letter or None, takes a value)
LONG_OPTIONS = {
    'analyze': ('a', False),
    'backup': ('b', False),
    'crc': ('c', False),
    'help': ('h', False),
    'instance': ('i', True),
    'namespaces': ('n', True),
    'path': ('p', True),
    'restore': ('r', False),
    'threads': ('t', True),
    'verbose': ('v', False),
    'compress': ('z', False),
    'json': (None, False),
    'verify': (None, False),
    'allow-volatile-path': (None, False),
    'remove-unfinished': (None, False),
    'version': (None, False),
}
SHORT_FLAGS = 'abchrvz'
SHORT_VALUES = 'inpt'
_LONG_BY_SHORT = dict((spec[0], name) for name, spec in LONG_OPTIONS.items() if spec[0])

USAGE = """\
usage: {prog} [-a] [-b] [-c] [-h] [-i <instance>] -n <name>[,<name>...]
       {pad} -p <pathdir> [-r] [-t <threads>] [-v] [-z]
       {prog} --verify -p <pathdir> [-n <name>[,<name>...]] [-i <instance>] [-v]
"""

OPTIONS = """\
  -a, --analyze            analyze only: run every check of a backup (-b) or restore (-r),
                           report what it would do, create and change nothing
  -b, --backup             back up the namespaces' shared-memory segments to files in <pathdir>
  -c, --crc                extra CRC-32 check (see Notes; pyasmt always computes CRC-32s)
  -h, --help               print this help and exit
  -i, --instance=<n>       asd instance, 0..15 (default 0; with --verify default every instance)
  -n, --namespaces=<list>  comma-separated namespace names (required with -b and -r)
  -p, --path=<pathdir>     backup folder (required); a backup creates it (last level, mode 0700)
  -r, --restore            restore the namespaces' segments from the files in <pathdir>
  -t, --threads=<n>        I/O threads, 1..1024 (default: one per CPU)
  -v, --verbose            print the segment or file table, checks, progress deciles and totals
  -z, --compress           compress stages and data stripes (.dat.gz); base and meta stay .dat
      --verify             read every file of a backup and check its size and CRC-32 against the
                           manifest (or the gzip trailer for ASMT backups); no shared memory used
      --json               print exactly one JSON document on stdout: the plan and the result,
                           also on failure; all human-readable text then goes to stderr
      --allow-volatile-path
                           allow a backup onto tmpfs or ramfs, which a reboot erases (refused
                           by default)
      --remove-unfinished  with -r: first remove the segments a killed restore of the same set
                           left behind without a journal (empty base), once proved unattached
      --version            print the version and exit
"""

NOTES = """\
Notes:
  1. Stop asd cleanly first: a backup refuses attached segments or an unclean shutdown.
  2. Run the restore after the reboot and before asd starts; it refuses existing segments.
  3. -c: ASMT compares two CRC-32s of the same memory. pyasmt always records CRC-32s in a
     manifest and checks them on restore and --verify; -c adds a re-read of every written
     file from disk after a backup, and of every segment after a restore (on a mismatch the
     namespace's new files or segments are removed). With -v, tables gain a crc32 column.
  4. Namespaces are independent: one that fails does not stop the others; exit status 1.
"""

FULL = """\
Possible primary option combinations:
  -b          back up ('-p' and '-n' required)
  -r          restore ('-p' and '-n' required)
  -ba         analyze a backup: check, report, change nothing ('-p' and '-n' required)
  -ra         analyze a restore: check, report, change nothing ('-p' and '-n' required)
  --verify    check a backup folder without touching shared memory ('-p' required)

Examples:
  {prog} -b -v -p /var/backups/asd-shm -n test,bar
        back up namespaces test and bar of instance 0 (asd stopped cleanly)
  {prog} -bz -i1 -p /var/backups/asd1-shm -n test
        compressed backup of instance 1
  {prog} -ab -v -p /var/backups/asd-shm -n test
        show the segments a backup would copy and every reason it would refuse
  {prog} -r -v -c -p /var/backups/asd-shm -n test,bar
        restore after the reboot, before asd starts, re-reading every segment
  {prog} --verify -p /var/backups/asd-shm
        check every backup in the folder before relying on it
  {prog} -b --json -p /var/backups/asd-shm -n test | jq .result
        machine-readable plan and result

Stricter than ASMT 2.2.1: a namespace that is not found, a partial set, an orphan-data
failure or '-n' with only empty names exit 1; '-i' and '-t' must be numbers; '-i 65535'
(any instance) is not supported. Existing backups are never overwritten; a folder that
already holds an identical backup is left as it is (exit 0).

Exit status: 0 when every namespace succeeded or had nothing to do; 1 otherwise
(argument error, refusal, failed or interrupted run).
"""


class GetoptError(Exception):
    """An unknown option or a missing value, worded as glibc's getopt words it."""


class Options:
    """The parsed command line."""

    def __init__(self):
        self.analyze = False
        self.backup = False
        self.restore = False
        self.verify = False
        self.crc = False
        self.help = False
        self.version = False
        self.instance = None
        self.namespaces = None
        self.path = None
        self.threads = None
        self.verbose = False
        self.compress = False
        self.json = False
        self.allow_volatile_path = False
        self.remove_unfinished = False
        self.arguments = []

    def set(self, name, value=None):
        """Record one option; return True when parsing must stop here (-h, as in ASMT)."""
        attr = name.replace('-', '_')
        if name in ('instance', 'namespaces', 'path', 'threads'):
            setattr(self, attr, value)
        else:
            setattr(self, attr, True)
        return name in ('help', 'version')

    @property
    def operation(self):
        if self.verify:
            return 'verify'
        return 'backup' if self.backup else 'restore'


def parse(argv, prog):
    """GNU getopt_long over ASMT's 'abchi:n:p:rt:vz': bundling, permutation, '--', prefixes."""
    opts = Options()
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == '--':
            opts.arguments.extend(argv[index:])
            break
        if arg.startswith('--'):
            name, has_value, value = arg[2:].partition('=')
            matches = [name] if name in LONG_OPTIONS else sorted(n for n in LONG_OPTIONS if n.startswith(name))
            if not matches:
                raise GetoptError("%s: unrecognized option '--%s'" % (prog, name))
            if len(matches) > 1:
                raise GetoptError("%s: option '--%s' is ambiguous; possibilities: %s"
                                  % (prog, name, ' '.join("'--%s'" % m for m in matches)))
            name = matches[0]
            if LONG_OPTIONS[name][1]:
                if not has_value:
                    if index >= len(argv):
                        raise GetoptError("%s: option '--%s' requires an argument" % (prog, name))
                    value = argv[index]
                    index += 1
            elif has_value:
                raise GetoptError("%s: option '--%s' doesn't allow an argument" % (prog, name))
            if opts.set(name, value):
                return opts
        elif arg.startswith('-') and arg != '-':
            position = 1
            while position < len(arg):
                letter = arg[position]
                position += 1
                if letter in SHORT_VALUES:
                    if position < len(arg):
                        value = arg[position:]
                    elif index < len(argv):
                        value = argv[index]
                        index += 1
                    else:
                        raise GetoptError("%s: option requires an argument -- '%s'" % (prog, letter))
                    opts.set(_LONG_BY_SHORT[letter], value)
                    break
                if letter not in SHORT_FLAGS:
                    raise GetoptError("%s: invalid option -- '%s'" % (prog, letter))
                if opts.set(_LONG_BY_SHORT[letter]):
                    return opts
        else:
            opts.arguments.append(arg)
    return opts


def parse_number(text):
    """A decimal number, or None: ASMT's atoi() turns 'abc' into instance 0, which is never meant."""
    text = (text or '').strip()
    if not text or not (text.isdigit() or (text[0] in '+-' and text[1:].isdigit())):
        return None
    return int(text)


def split_namespaces(text):
    """ASMT's list rules: split on ',' only, skip empty names; also drop repeats and impossible names.

    Returns (names, empty_count, repeated, invalid) where invalid is [(name, message)].
    """
    names, repeated, invalid = [], [], []
    empty = 0
    for name in text.split(','):
        if not name:
            empty += 1
            continue
        if name in names:
            repeated.append(name)
            continue
        try:
            check_namespace(name)
        except UsageError as exc:
            invalid.append((name, '%s: no namespace can match it; check the name' % exc.msg))
            continue
        names.append(name)
    return names, empty, repeated, invalid


def elapsed_text(seconds):
    """ASMT's elapsed time: S.Ts, Mm:S.Ts or Hh:Mm:S.Ts, tenths, no zero padding."""
    tenths = int(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    secs, tenth = divmod(rest, 10)
    if hours:
        return '%dh:%dm:%d.%ds' % (hours, minutes, secs, tenth)
    if minutes:
        return '%dm:%d.%ds' % (minutes, secs, tenth)
    return '%d.%ds' % (secs, tenth)


def size_text(nbytes):
    """Bytes for a person: 1.50 GiB, 12.0 MiB, 512 B."""
    value = float(nbytes)
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024 or unit == 'TiB':
            return '%d %s' % (value, unit) if unit == 'B' else '%.2f %s' % (value, unit)
        value /= 1024
    return '%d B' % nbytes


def table_lines(headers, rows):
    """ASMT's table: columns as wide as their widest cell plus two spaces, dashes under the header."""
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]

    def line(cells):
        return ''.join(cell.ljust(width) + '  ' for cell, width in zip(cells, widths))
    return [line(headers), line(['-' * w for w in widths])] + [line(row) for row in rows]


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, TypeError):
        return str(uid)


def _group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except (KeyError, TypeError):
        return str(gid)


def _crc_text(crc):
    return '-' if crc is None else '0x%08x' % crc


def segment_table(ns_plan, crc):
    """ASMT's backup table (spec 9.4) for one namespace's items."""
    headers = ['key', 'shmid', 'user', 'group', 'mode', 'natt', 'segsz', 'inst', 'nsid', 'name', 'type', 'stage']
    if crc:
        headers.append('crc32')
    rows = []
    for item in _table_order(ns_plan.items):
        row = [item.key.hex, str(item.shmid), _user(item.uid), _group(item.gid), '0%o' % item.mode,
               str(item.member.nattch), str(item.size), str(item.key.instance), str(item.key.nsid),
               _member_name(ns_plan, item), item.key.role, stage_text(item.key.stage)]
        if crc:
            row.append(_crc_text(item.crc32))
        rows.append(row)
    return table_lines(headers, rows)


def file_table(ns_plan, crc):
    """ASMT's restore table (spec 9.4): file owner, file mode, file and segment sizes."""
    headers = ['key', 'user', 'group', 'mode', 'filsz', 'segsz', 'inst', 'nsid', 'name', 'type', 'stage']
    if crc:
        headers.append('crc32')
    rows = []
    for item in _table_order(ns_plan.items):
        row = [item.key.hex, _user(item.uid), _group(item.gid), '0%o' % (0o100000 | item.mode), str(item.file_size),
               str(item.size), str(item.key.instance), str(item.key.nsid), _member_name(ns_plan, item),
               'data' if item.key.role == DATA else item.key.role, stage_text(item.key.stage)]
        if crc:
            row.append(_crc_text(item.crc32))
        rows.append(row)
    return table_lines(headers, rows)


def _table_order(items):
    return sorted(items, key=lambda item: (TABLE_ORDER.index(item.key.role), item.key.key))


def _member_name(ns_plan, item):
    if item.key.role == DATA:
        return item.member.name or '-'
    return ns_plan.namespace or '-'


class Output:
    """Where text goes: verbose text to stdout (stderr under --json), problems always to stderr.

    A progress line may be on the terminal; every other line first wipes it.
    """

    def __init__(self, stdout, stderr, json_mode, verbose):
        self.stdout = stdout
        self.stderr = stderr
        self.info_stream = stderr if json_mode else stdout
        self.verbose = verbose
        self.lock = threading.RLock()
        self.progress_width = 0

    def _write(self, stream, text):
        with self.lock:
            self.clear_progress()
            if stream is not self.stdout:
                _flush(self.stdout)
            try:
                stream.write(text + '\n')
                stream.flush()
            except (IOError, OSError, ValueError):
                pass

    def info(self, text=''):
        """Text ASMT prints in verbose mode only."""
        if self.verbose:
            self._write(self.info_stream, text)

    def say(self, text=''):
        """Text printed whatever the verbosity (analyze verdicts, verify summaries)."""
        self._write(self.info_stream, text)

    def error(self, text=''):
        self._write(self.stderr, text)

    def draw_progress(self, text):
        with self.lock:
            pad = max(0, self.progress_width - len(text))
            try:
                self.stderr.write('\r' + text + ' ' * pad)
                self.stderr.flush()
            except (IOError, OSError, ValueError):
                return
            self.progress_width = len(text)

    def clear_progress(self):
        with self.lock:
            if self.progress_width:
                try:
                    self.stderr.write('\r' + ' ' * self.progress_width + '\r')
                    self.stderr.flush()
                except (IOError, OSError, ValueError):
                    pass
                self.progress_width = 0


def _flush(stream):
    try:
        stream.flush()
    except (IOError, OSError, ValueError):
        pass


class Progress:
    """The core's progress callback: ASMT's decile lines with -v, a live line on a terminal.

    The core reports bytes done per engine; a new engine (verify starts one after a damaged
    file) restarts from zero, so increments are summed here against the plan's own total.
    """

    def __init__(self, output, total, deciles, live, clock=time.monotonic):
        self.output = output
        self.total = max(0, total)
        self.deciles = deciles
        self.live = live
        self.clock = clock
        self.started = clock()
        self.lock = threading.Lock()
        self.done = 0
        self.last_raw = 0
        self.decile = 0
        self.drawn = 0.0

    def __call__(self, done, _total=None):
        with self.lock:
            self.done += done - self.last_raw if done >= self.last_raw else done
            self.last_raw = done
            now = self.clock()
            if self.deciles and self.total:
                decile = min(10, self.done * 10 // self.total)
                if decile != self.decile:
                    self.decile = decile
                    self.output.info('Transferred %3d%% of data in %s.' % (decile * 10, elapsed_text(now - self.started)))
            if self.live and now - self.drawn >= PROGRESS_INTERVAL:
                self.drawn = now
                self.output.draw_progress(self.line(now))

    def line(self, now):
        seconds = now - self.started
        done = min(self.done, self.total) if self.total else self.done
        speed = done / seconds if seconds > 0 else 0
        percent = 100 * done // self.total if self.total else 100
        eta = '%s' % elapsed_text((self.total - done) / speed) if speed and self.total else '?'
        return '%s / %s  %3d%%  %.2f GB/s  ETA %s' % (size_text(done), size_text(self.total), percent, speed / 1e9, eta)

    def finish(self):
        """ASMT prints the total I/O time when it never reached 100% (a failure)."""
        with self.lock:
            seconds = self.clock() - self.started
            self.output.clear_progress()
            if self.deciles and self.decile != 10:
                self.output.info('Total I/O time was %s.' % elapsed_text(seconds))
            return seconds


class Run:
    """One invocation: options in, text and an exit status out."""

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
        self.error = None
        self.failures = []          # (namespace or None, message)
        self.invalid = []
        self.message = None
        self.analyze_command = None

    # -- usage and argument errors -------------------------------------------------------

    def usage(self, full):
        pad = ' ' * len(self.prog)
        text = USAGE.format(prog=self.prog, pad=pad) + '\n' + OPTIONS + '\n' + NOTES
        if full:
            text += '\n' + FULL.format(prog=self.prog)
        return text.rstrip('\n')

    def usage_error(self, message, full=False, hint=None):
        """ASMT: the message, a blank line, the usage; exit 1."""
        text = message if not hint else '%s %s' % (message, hint)
        if message:
            self.out.error(text)
            self.out.error()
        self.out.error(self.usage(full))
        self.message = text or 'invalid command line; see the usage'
        self.error = {'type': 'UsageError', 'message': self.message}
        return 1

    # -- main flow -------------------------------------------------------------------------

    def main(self):
        try:
            opts = self.opts = parse(self.argv, self.prog)
        except GetoptError as exc:
            return self.usage_error(str(exc), full=True)
        self.json = opts.json
        self.out.info_stream = self.stderr if opts.json else self.stdout
        if opts.help:
            self.json = False
            self.out.say(self.usage(True))
            return 0
        if opts.version:
            self.json = False
            self.out.say('%s %s (fastrestart.aerospike), compatible with ASMT %s' % (self.prog, VERSION, ASMT_VERSION))
            return 0
        if opts.arguments:
            return self.usage_error("Unexpected argument%s %s: options only; give several namespaces as one list, "
                                    "-n a,b." % ('s' if len(opts.arguments) > 1 else '',
                                                 ', '.join("'%s'" % a for a in opts.arguments)), full=True)
        if opts.backup + opts.restore + opts.verify != 1:
            if opts.verify:
                return self.usage_error("Must specify exactly one of backup ('-b'), restore ('-r') or verify "
                                        "('--verify').")
            return self.usage_error("Must specify exactly one of backup ('-b') or restore ('-r').")
        if not opts.path:
            return self.usage_error("Must specify pathname of file directory (use '-p').")
        if opts.crc and opts.verify:
            self.out.error("Unnecessary to specify crc32 checking ('-c') with verify ('--verify'): it always checks.")
        if opts.compress and not opts.backup:
            self.out.error("Unnecessary to specify compress ('-z') with %s." % (
                "restore ('-r')" if opts.restore else "verify ('--verify')"))
        instance = self.instance()
        if instance is False:
            return 1
        threads = self.threads()
        if threads is False:
            return 1
        self.out.verbose = opts.verbose
        self.banner()
        if opts.namespaces is None and not opts.verify:
            return self.usage_error('Failed to extract namespace names from list.',
                                    hint="Name the namespaces with -n <name>[,<name>...].")
        names = None
        empty = 0
        if opts.namespaces is not None:
            names, empty, repeated, self.invalid = split_namespaces(opts.namespaces)
            for name in repeated:
                self.out.info("Namespace '%s' is listed more than once: processing it once." % name)
            for name, message in self.invalid:
                self.out.error(message)
                self.failures.append((name, message))
            if not names:
                self.out.error('Invalid namespace name(s) provided. Name at least one namespace with -n '
                               '<name>[,<name>...] (names are separated by commas, without spaces).')
                self.message = 'no valid namespace name in -n %r' % opts.namespaces
                self.error = {'type': 'UsageError', 'message': self.message}
                return 1
        try:
            status = self.operate(names, instance, threads)
        except ShmError as exc:
            # Raised before anything changed (the core plans first) or after cleaning up.
            self.out.error(exc.msg)
            self.set_error(exc)
            status = 1
        except (IOError, OSError) as exc:
            message = '%s%s: check the path and permissions' % (
                exc.strerror or exc, " '%s'" % exc.filename if getattr(exc, 'filename', None) else '')
            self.out.error(message)
            self.error = {'type': type(exc).__name__, 'message': message, 'errno': exc.errno}
            self.message = message
            status = 1
        if empty and status == 0:
            self.out.error()
            self.out.error('Invalid namespace name(s) provided.')
        return status

    def instance(self):
        opts = self.opts
        if opts.instance is None:
            return None if opts.verify else 0
        value = parse_number(opts.instance)
        if value == ANY_INSTANCE:
            self.usage_error("Instance must be from 0..%d (use '-i')." % INSTANCE_MAX,
                             hint="Instance 65535 (ASMT's 'any instance') is not supported: run once per instance.")
            return False
        try:
            return check_instance(value)
        except UsageError:
            # The core's rule, in ASMT's words.
            self.usage_error("Instance must be from 0..%d (use '-i')." % INSTANCE_MAX,
                             hint="Got '%s'." % opts.instance)
            return False

    def threads(self):
        opts = self.opts
        if opts.threads is None:
            return None
        value = parse_number(opts.threads)
        if value == DEFAULT_THREADS:
            return None
        try:
            return check_threads(value if value is not None else '')
        except UsageError:
            self.usage_error("Max threads must be in the range 1..%d (use '-t')." % MAX_THREADS,
                             hint="Got '%s'." % opts.threads)
            return False

    def banner(self):
        opts = self.opts
        self.out.info('Aerospike Shared Memory Tool, Python port %s (fastrestart.aerospike), compatible with ASMT %s'
                      % (VERSION, ASMT_VERSION))
        self.out.info()
        self.out.info(' '.join([self.prog] + self.argv))
        self.out.info()
        if opts.analyze:
            self.out.info('Performing analyze operation with %s option.' % opts.operation)
        elif opts.backup:
            extra = {(False, False): '', (False, True): ' with crc32 checking', (True, False): ' with compression',
                     (True, True): ' with compression and crc32 checking'}[(opts.compress, opts.crc)]
            self.out.info('Performing backup operation%s.' % extra)
        elif opts.restore:
            self.out.info('Performing restore operation%s.' % (' with crc32 checking' if opts.crc else ''))
        else:
            self.out.info('Performing verify operation.')

    def set_error(self, exc):
        facts = dict((k, v) for k, v in exc.facts.items() if k not in ('result', 'plan'))
        self.error = {'type': type(exc).__name__, 'message': exc.msg, 'facts': facts}
        if self.message is None:
            self.message = exc.msg

    # -- operations ------------------------------------------------------------------------

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
        plan = self.plan
        if opts.analyze and opts.crc and opts.backup:
            self.analyze_crcs()
        self.report_plan()
        if opts.analyze:
            return self.finish_analyze()
        runnable = plan.runnable()
        if not runnable:
            return self.finish_without_run()
        return self.execute(runnable)

    def analyze_crcs(self):
        """ASMT's -a -c reads every segment to show its CRC-32; so does this (a real cost)."""
        for ns_plan in self.plan.namespaces:
            if ns_plan.state == READY and ns_plan.items and all(i.shmid is not None for i in ns_plan.items):
                crcs = segment_crcs(ns_plan.items, self.plan.codec, self.plan.threads)
                for item in ns_plan.items:
                    item.crc32 = crcs[item.key.key]

    def report_plan(self):
        """Tables, then each namespace's problems and warnings, as ASMT prints before its I/O."""
        plan, out = self.plan, self.out
        for problem in plan.problems:
            out.error(problem.message)
        for warning in plan.warnings:
            out.error('Warning: %s' % warning)
        for ns_plan in plan.namespaces:
            # A verify prints its verdict table after reading; the file table is for analysis.
            if ns_plan.items and (plan.operation != 'verify' or self.opts.analyze):
                out.info()
                table = segment_table if plan.operation == 'backup' else file_table
                for line in table(ns_plan, self.opts.crc):
                    out.info(line)
                out.info()
            for warning in ns_plan.warnings:
                out.error('Warning: %s' % warning)
            for problem in ns_plan.problems:
                out.error(problem.message)
            if ns_plan.problems:
                self.failures.append((ns_plan.namespace, ns_plan.problems[0].message))
                out.info('Failed %s sanity check for instance %d, namespace \'%s\'%s.' % (
                    plan.operation, ns_plan.instance, ns_plan.namespace,
                    '' if ns_plan.nsid is None else ' (nsid %d)' % ns_plan.nsid))
            elif ns_plan.state == ALREADY_DONE:
                out.info(self.done_text(ns_plan))

    def done_text(self, ns_plan):
        if self.plan.operation == 'backup':
            return "Namespace '%s' (instance %d) is already backed up in %s (%s): nothing to do." % (
                ns_plan.namespace, ns_plan.instance, self.plan.path, ns_plan.manifest_path)
        return "Namespace '%s' (instance %d) is already restored: its segments equal the backup; nothing to do." % (
            ns_plan.namespace, ns_plan.instance)

    def finish_analyze(self):
        plan, opts = self.plan, self.opts
        status = 0 if plan.ok and not self.failures else 1
        if plan.ok and self.failures:
            self.message = self.failures[0][1]
            self.out.say('Analysis failed: %s.' % self.failure_count_text())
        elif plan.ok:
            self.message = 'analyze: %s' % plan.message()
            self.out.say('Analysis passed: %s.' % plan.message())
            ready = [ns for ns in plan.namespaces if ns.state == READY]
            if ready and not any(ns.orphan for ns in ready) and opts.namespaces is not None:
                self.analyze_command = self.suggested_command(ready[0].instance)
                self.out.info()
                self.out.info(self.analyze_command)
        else:
            self.message = 'analyze: %s' % plan.message()
            self.out.say('Analysis failed: %s.' % self.failure_count_text())
        self.result = {'bytes': plan.bytes, 'seconds': 0.0, 'gb_per_s': None,
                       'namespaces': [self.namespace_summary(ns) for ns in plan.namespaces]}
        return status

    def suggested_command(self, instance):
        opts = self.opts
        parts = [self.prog, '-' + opts.operation[0] if not opts.verify else '--verify', '-i', str(instance),
                 '-p', shlex.quote(opts.path)]
        if opts.namespaces is not None:
            parts += ['-n', shlex.quote(opts.namespaces)]
        if opts.backup and opts.compress:
            parts.append('-z')
        if opts.crc and not opts.verify:
            parts.append('-c')
        if opts.backup and opts.allow_volatile_path:
            parts.append('--allow-volatile-path')
        if opts.restore and opts.remove_unfinished:
            parts.append('--remove-unfinished')
        return ' '.join(parts)

    def failure_count_text(self):
        refused = [failure[0] for failure in self.failures if failure[0]]
        if self.plan is not None and self.plan.problems:
            return self.plan.problems[0].message
        return '%d namespace%s would fail (%s); see the messages above' % (
            len(refused), '' if len(refused) == 1 else 's', ', '.join("'%s'" % n for n in refused))

    def namespace_summary(self, ns_plan):
        return {'namespace': ns_plan.namespace, 'instance': ns_plan.instance, 'nsid': ns_plan.nsid,
                'state': 'refused' if ns_plan.problems or self.plan.problems else
                ('unchanged' if ns_plan.state == ALREADY_DONE else 'ready'),
                'bytes': ns_plan.bytes, 'files': len(ns_plan.items)}

    def finish_without_run(self):
        plan = self.plan
        self.result = {'bytes': 0, 'seconds': 0.0, 'gb_per_s': None,
                       'namespaces': [self.namespace_summary(ns) for ns in plan.namespaces]}
        if plan.ok and not self.failures:
            self.message = plan.message()
            if plan.operation == 'verify':
                self.out.say('Nothing to verify in %s.' % plan.path)
            return 0
        self.message = plan.message() if not plan.ok else self.failures[0][1]
        return 1

    def execute(self, runnable):
        plan, opts = self.plan, self.opts
        total = sum(ns.bytes for ns in runnable)
        if plan.operation == 'backup' and opts.crc:
            total *= 2          # every written file is read back
        live = _isatty(self.stderr)
        progress = Progress(self.out, total, opts.verbose, live)
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
            self.set_error(exc)
        finally:
            progress.finish()
        if self.result is None:
            # Failed before any namespace ran (cannot create the folder, say).
            self.out.error(error.msg)
            return 1
        if plan.operation == 'verify':
            self.report_verify()
        else:
            self.report_results()
        failed = [ns for ns in self.result['namespaces'] if ns.get('state') in ('failed', 'damaged', 'drift')]
        if self.failures or failed or not plan.ok:
            if self.error is None:
                if self.failures:
                    self.message = self.failures[0][1]
                elif failed and failed[0].get('error'):
                    self.message = failed[0]['error']
                else:
                    self.message = plan.message()
            return 1
        self.message = self.success_text()
        return 0

    def report_results(self):
        plan, out = self.plan, self.out
        by_name = dict((ns.namespace, ns) for ns in plan.namespaces)
        for summary in self.result['namespaces']:
            state = summary.get('state')
            ns_plan = by_name.get(summary['namespace'])
            count = len(ns_plan.items) if ns_plan is not None else 0
            if state == 'done':
                if plan.operation == 'backup':
                    out.info()
                    out.info('Successfully backed up %d Aerospike database segments.' % count)
                    if self.opts.crc:
                        out.info('crc32-check passed: every file was read back from disk and matched.')
                else:
                    out.info()
                    out.info('Successfully restored %d Aerospike database segment files.' % count)
                    if self.opts.crc:
                        out.info('crc32-check passed: every restored segment was read back and matched.')
            elif state == 'failed':
                out.error(summary.get('error') or 'failed')
                if plan.operation == 'backup':
                    out.info()
                    out.info('Failed to back up %d Aerospike database segments.' % count)
                else:
                    out.info()
                    out.info('Failed to restore %d Aerospike database segment files.' % count)
        if self.result.get('gb_per_s') is not None and self.result.get('bytes'):
            verb = 'Backed up' if plan.operation == 'backup' else 'Restored'
            out.info('%s %s in %s (%.2f GB/s).' % (
                verb, size_text(self.result['bytes']), elapsed_text(self.result['seconds']), self.result['gb_per_s']))

    def report_verify(self):
        out = self.out
        for summary in self.result['namespaces']:
            state = summary.get('state')
            if state == 'refused':
                continue
            files = summary.get('files', [])
            what = "namespace '%s' (instance %d) in %s" % (summary['namespace'], summary['instance'], self.plan.path)
            if self.opts.verbose and files:
                rows = [[f['file'], f['key'], f['type'], str(f['size']), f.get('crc32') or '-',
                         f.get('checked_against') or '-', 'ok' if f['ok'] else 'DAMAGED'] for f in files]
                out.info()
                for line in table_lines(['file', 'key', 'type', 'segsz', 'crc32', 'checked against', 'verdict'], rows):
                    out.info(line)
                out.info()
            bad = [f for f in files if not f['ok']]
            for f in bad:
                out.error(f['error'])
            if bad and all(f.get('drift') for f in bad):
                out.error('Backup of %s is not verified: %d of %d files have an owner or mode other than the manifest '
                          'records; set them back as the messages above say and verify again.'
                          % (what, len(bad), len(files)))
            elif bad:
                out.error('Backup of %s is damaged: %d of %d files failed; do not restore from it.'
                          % (what, len(bad), len(files)))
            else:
                against = sorted(set(f['checked_against'] for f in files))
                out.say('Verified backup of %s: %d files, %s, checked against %s.'
                        % (what, len(files), size_text(summary['bytes']), ', '.join(against)))

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

    # -- JSON ------------------------------------------------------------------------------

    def document(self, status):
        result = dict(self.result or {})
        seconds = result.get('seconds')
        nbytes = result.get('bytes', 0)
        plan = self.plan
        doc_result = {
            'ok': status == 0,
            'changed': bool(result.get('changed', False)),
            'exit_status': status,
            'analyze': bool(self.opts and self.opts.analyze),
            'bytes': nbytes,
            'seconds': seconds,
            'gbps': result.get('gb_per_s', rate(nbytes, seconds or 0)),
            'message': self.message or ('ok' if status == 0 else 'failed'),
            'error': self.error,
            'namespaces': list(result.get('namespaces', [])) + [
                {'namespace': name, 'state': 'refused', 'error': message} for name, message in self.invalid],
            'invalid_namespaces': [dict(name=name, message=message) for name, message in self.invalid],
        }
        if self.analyze_command:
            doc_result['command'] = self.analyze_command
        return {
            'tool': 'pyasmt',
            'version': VERSION,
            'asmt_compatible': ASMT_VERSION,
            'argv': [self.prog] + self.argv,
            'operation': None if self.opts is None or not (self.opts.backup or self.opts.restore or self.opts.verify)
            else self.opts.operation,
            'plan': None if plan is None else plan.to_dict(),
            'result': doc_result,
        }


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def main(argv=None, prog=None, stdout=None, stderr=None):
    """Run the command line; return the exit status (0 success, 1 any failure)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = prog or os.environ.get('PYASMT_PROG') or os.path.basename(sys.argv[0] or 'pyasmt')
    if prog.endswith('.py'):
        prog = prog[:-3]
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
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
        run.message = message
        run.error = {'type': type(exc).__name__, 'message': message}
        status = 1
    except KeyboardInterrupt:
        run.out.clear_progress()
        message = ('Interrupted: the namespace in progress was cleaned up (its new files or segments removed); '
                   'namespaces completed before the interruption are kept. Run the command again to finish.')
        run.out.error()
        run.out.error(message)
        run.message = message
        run.error = {'type': 'KeyboardInterrupt', 'message': message}
        status = 1
    if run.json:
        try:
            stdout.write(json.dumps(run.document(status), indent=2, sort_keys=True, default=str) + '\n')
            stdout.flush()
        except (IOError, OSError, ValueError):
            pass
    return status
