# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""pyasmt's text: ASMT's tables and sentences, the progress deciles and the live line, and
where each line goes. It presents plans and results; it decides nothing.
"""

from __future__ import absolute_import, division, print_function

import grp
import pwd
import threading
import time

from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    DATA,
    TABLE_ORDER,
    stage_text,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._plan import (
    ALREADY_DONE,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._version import (
    VERSION,
)

__metaclass__ = type

# Redrawing the terminal line more often only costs time.
PROGRESS_INTERVAL = 0.25


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


def segment_table(ns_plan, crc, crcs=None):
    """ASMT's backup table (docs/asmt-format.md §6.3) for one namespace's items."""
    headers = ['key', 'shmid', 'user', 'group', 'mode', 'natt', 'segsz', 'inst', 'nsid', 'name', 'type', 'stage']
    if crc:
        headers.append('crc32')
    rows = []
    for item in _table_order(ns_plan.items):
        row = [item.key.hex, str(item.shmid), _user(item.uid), _group(item.gid), '0%o' % item.mode,
               str(item.member.nattch), str(item.size), str(item.key.instance), str(item.key.nsid),
               _member_name(ns_plan, item), item.key.role, stage_text(item.key.stage)]
        if crc:
            row.append(_crc_text((crcs or {}).get(item.key.key, item.expected_crc)))
        rows.append(row)
    return table_lines(headers, rows)


def file_table(ns_plan, crc, crcs=None):
    """ASMT's restore table (docs/asmt-format.md §6.3): file owner, file mode, file and segment sizes."""
    headers = ['key', 'user', 'group', 'mode', 'filsz', 'segsz', 'inst', 'nsid', 'name', 'type', 'stage']
    if crc:
        headers.append('crc32')
    rows = []
    for item in _table_order(ns_plan.items):
        row = [item.key.hex, _user(item.uid), _group(item.gid), '0%o' % (0o100000 | item.mode), str(item.file_size),
               str(item.size), str(item.key.instance), str(item.key.nsid), _member_name(ns_plan, item),
               'data' if item.key.role == DATA else item.key.role, stage_text(item.key.stage)]
        if crc:
            row.append(_crc_text((crcs or {}).get(item.key.key, item.expected_crc)))
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


def isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def banner(out, prog, argv, opts, asmt_version):
    """What ASMT prints first with -v: who it is, the command line, the operation."""
    out.info('Aerospike Shared Memory Tool, Python port %s (fastrestart.aerospike), compatible with ASMT %s'
             % (VERSION, asmt_version))
    out.info()
    out.info(' '.join([prog] + argv))
    out.info()
    if opts.analyze:
        out.info('Performing analyze operation with %s option.' % opts.operation)
    elif opts.backup:
        extra = {(False, False): '', (False, True): ' with crc32 checking', (True, False): ' with compression',
                 (True, True): ' with compression and crc32 checking'}[(opts.compress, opts.crc)]
        out.info('Performing backup operation%s.' % extra)
    elif opts.restore:
        out.info('Performing restore operation%s.' % (' with crc32 checking' if opts.crc else ''))
    else:
        out.info('Performing verify operation.')


def report_plan(out, plan, analyze, crc, crcs=None):
    """Tables, then each namespace's problems and warnings, as ASMT prints before its I/O.

    crcs: {key: CRC-32} read from the live segments (analyze with -c), shown instead of the known ones.
    Returns [(namespace, first problem's message)] of the refused namespaces.
    """
    failures = []
    for problem in plan.problems:
        out.error(problem.message)
    for warning in plan.warnings:
        out.error('Warning: %s' % warning)
    for ns_plan in plan.namespaces:
        # A verify prints its verdict table after reading; the file table is for analysis.
        if ns_plan.items and (plan.operation != 'verify' or analyze):
            out.info()
            table = segment_table if plan.operation == 'backup' else file_table
            for line in table(ns_plan, crc, crcs):
                out.info(line)
            out.info()
        for warning in ns_plan.warnings:
            out.error('Warning: %s' % warning)
        for problem in ns_plan.problems:
            out.error(problem.message)
        if ns_plan.problems:
            failures.append((ns_plan.namespace, ns_plan.problems[0].message))
            out.info('Failed %s sanity check for instance %d, namespace \'%s\'%s.' % (
                plan.operation, ns_plan.instance, ns_plan.namespace,
                '' if ns_plan.nsid is None else ' (nsid %d)' % ns_plan.nsid))
        elif ns_plan.state == ALREADY_DONE:
            out.info(done_text(plan, ns_plan))
    return failures


def done_text(plan, ns_plan):
    if plan.operation == 'backup':
        return "Namespace '%s' (instance %d) is already backed up in %s (%s): nothing to do." % (
            ns_plan.namespace, ns_plan.instance, plan.path, ns_plan.manifest_path)
    return "Namespace '%s' (instance %d) is already restored: its segments equal the backup; nothing to do." % (
        ns_plan.namespace, ns_plan.instance)


def report_results(out, plan, result, crc):
    """ASMT's closing lines per namespace, then the total and its rate."""
    by_name = dict((ns.namespace, ns) for ns in plan.namespaces)
    backup = plan.operation == 'backup'
    for summary in result['namespaces']:
        state = summary.get('state')
        ns_plan = by_name.get(summary['namespace'])
        count = len(ns_plan.items) if ns_plan is not None else 0
        if state == 'done':
            out.info()
            if backup:
                out.info('Successfully backed up %d Aerospike database segments.' % count)
                if crc:
                    out.info('crc32-check passed: every file was read back from disk and matched.')
            else:
                out.info('Successfully restored %d Aerospike database segment files.' % count)
                if crc:
                    out.info('crc32-check passed: every restored segment was read back and matched.')
        elif state == 'failed':
            out.error(summary.get('error') or 'failed')
            out.info()
            if backup:
                out.info('Failed to back up %d Aerospike database segments.' % count)
            else:
                out.info('Failed to restore %d Aerospike database segment files.' % count)
    if result.get('gb_per_s') is not None and result.get('bytes'):
        out.info('%s %s in %s (%.2f GB/s).' % ('Backed up' if backup else 'Restored', size_text(result['bytes']),
                                               elapsed_text(result['seconds']), result['gb_per_s']))


def report_verify(out, plan, result, verbose):
    """Each namespace's verdict: its file table with -v, every damaged file, one closing sentence."""
    for summary in result['namespaces']:
        if summary.get('state') == 'refused':
            continue
        files = summary.get('files', [])
        what = "namespace '%s' (instance %d) in %s" % (summary['namespace'], summary['instance'], plan.path)
        if verbose and files:
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
                      'records; set them back as the messages above say and verify again.' % (what, len(bad), len(files)))
        elif bad:
            out.error('Backup of %s is damaged: %d of %d files failed; do not restore from it.'
                      % (what, len(bad), len(files)))
        else:
            against = sorted(set(f['checked_against'] for f in files))
            out.say('Verified backup of %s: %d files, %s, checked against %s.'
                    % (what, len(files), size_text(summary['bytes']), ', '.join(against)))
