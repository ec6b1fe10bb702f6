# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""asd's own log: where it goes, how the last start went (warm or cold per namespace), and
whether the last stop was clean.

No info command reports a warm restart: only the log does, in the lines the patterns below
match (a start's banner, each namespace's warm or cold start, the closing line of a clean
stop). The log is the systemd journal when aerospike.conf has only a console
sink, as Aerospike packages it, or the file of a `file` sink.
"""

from __future__ import absolute_import, division, print_function

import collections
import os
import re

__metaclass__ = type

DEFAULT_CONFIG = '/etc/aerospike/aerospike.conf'
DEFAULT_UNIT = 'aerospike'
DEFAULT_LINES = 20000

# The first line of every start: "<><><><><><><><><><>  Aerospike Enterprise Edition build 7.1.0.0  <><>...".
BANNER = re.compile(r'<><><><><><><><><><>  Aerospike (.*?) build (\S+)')
READY = 'service ready: soon there will be cake!'
_NAMESPACE_LINE = re.compile(r'\{([^}]+)\} (.*)$')
# Per namespace, in order of precedence: any cold line makes the start cold.
_KINDS = (
    ('cold', re.compile(r'cold start')),
    ('cool', re.compile(r'beginning cool restart')),
    ('warm', re.compile(r'beginning warm restart')),
)
# The stop's lines, newest first in meaning: the closing line decides.
_STOP_OUTCOMES = (
    ('clean', 'finished clean shutdown - exiting'),
    ('failed', 'failed clean shutdown - exiting'),
    ('startup-incomplete', 'startup was not complete, exiting immediately'),
)
_STOP_BEGUN = ('SIGTERM received', 'initiating clean shutdown')
STOP_REASONS = {
    'clean': 'asd finished its clean shutdown',
    'failed': 'asd logged "failed clean shutdown": its storage did not shut down cleanly',
    'startup-incomplete': 'asd was stopped before its startup had completed ("startup was not complete, '
                          'exiting immediately"), so its index is not clean',
    'interrupted': 'asd began its shutdown but never logged "finished clean shutdown": it was killed or '
                   'crashed in the middle of it (systemd sends SIGKILL when TimeoutSec runs out)',
    'running': 'asd logged no shutdown since its last start: it is still running, or it was killed with no '
               'SIGTERM first',
    'no-start': 'asd logged no start in this log since the boot',
}

StartReport = collections.namedtuple('StartReport', 'found build ready kinds lines')
StopReport = collections.namedtuple('StopReport', 'outcome clean reason lines')


def _strip_comment(line):
    return line.split('#', 1)[0]


def log_sinks(config_text):
    """(console, files) of aerospike.conf's logging stanza: whether a console sink exists, and
    the paths of its file sinks, in order."""
    tokens = re.findall(r'[{}]|[^\s{}]+', '\n'.join(_strip_comment(line) for line in config_text.splitlines()))
    console, files = False, []
    depth, logging_depth, words = 0, None, []
    for token in tokens:
        if token == '{':
            depth += 1
            if logging_depth is None and words[-1:] == ['logging']:
                logging_depth = depth
            elif logging_depth is not None and depth == logging_depth + 1:
                if words[-1:] == ['console']:
                    console = True
                elif len(words) >= 2 and words[-2] == 'file':
                    files.append(words[-1])
            words = []
        elif token == '}':
            if logging_depth is not None and depth == logging_depth:
                logging_depth = None
            depth -= 1
            words = []
        else:
            words.append(token)
    return console, files


class LogSource(collections.namedtuple('LogSource', 'kind path reason')):
    """Where asd's lines are: kind 'journal' (path None) or 'file' (path), and why."""

    __slots__ = ()


def choose_source(source='auto', log_file=None, config_text=None, systemd=True):
    """Decide where to read asd's log. Raises ValueError with what to do when nothing fits."""
    if log_file or source == 'file':
        if not log_file:
            console, files = log_sinks(config_text or '')
            if not files:
                raise ValueError('source=file, but aerospike.conf has no file sink in its logging stanza: '
                                 'give log_file, or read the journal (source=journal)')
            log_file = files[0]
        return LogSource('file', log_file, 'log_file given' if source != 'file' else 'source=file')
    if source == 'journal':
        return LogSource('journal', None, 'source=journal')
    console, files = log_sinks(config_text or '')
    if files:
        return LogSource('file', files[0], 'aerospike.conf logs to the file %s' % files[0])
    if systemd:
        return LogSource('journal', None, 'aerospike.conf logs to the console, which systemd keeps in the journal'
                         if console else 'aerospike.conf names no file sink; asd runs under systemd')
    raise ValueError('aerospike.conf names no file sink and this host does not run systemd, so asd\'s log is '
                     'nowhere to be read: give log_file')


def journal_argv(unit=DEFAULT_UNIT, lines=DEFAULT_LINES):
    """journalctl for the unit's lines of the current boot, message text only."""
    return ['journalctl', '-u', unit, '-b', '-o', 'cat', '--no-pager', '-n', str(int(lines))]


def tail(path, lines=DEFAULT_LINES, block=1 << 16):
    """The last `lines` lines of a file, read backwards from its end in blocks."""
    with open(path, 'rb') as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        data = b''
        while end > 0 and data.count(b'\n') <= lines:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    text = data.decode('utf-8', 'replace').splitlines()
    return text[-lines:] if lines else text


def _last_start(lines):
    """Index of the last start banner, or None."""
    for index in range(len(lines) - 1, -1, -1):
        if BANNER.search(lines[index]):
            return index
    return None


def _kind(text):
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return None


def read_start(lines, namespaces=None):
    """How the last start went: per namespace 'warm', 'cool', 'cold' or 'unknown' (no line)."""
    first = _last_start(lines)
    if first is None:
        return StartReport(False, None, False, dict((ns, 'unknown') for ns in namespaces or ()), [])
    build = BANNER.search(lines[first]).group(2)
    seen, notable = {}, [lines[first]]
    for line in lines[first + 1:]:
        match = _NAMESPACE_LINE.search(line)
        kind = _kind(match.group(2)) if match else None
        if kind:
            notable.append(line)
            previous = seen.get(match.group(1))
            if previous != 'cold':
                seen[match.group(1)] = kind if previous is None or kind == 'cold' else previous
    ready = any(READY in line for line in lines[first + 1:])
    names = list(namespaces) if namespaces else sorted(seen)
    return StartReport(True, build, ready, dict((ns, seen.get(ns, 'unknown')) for ns in names), notable)


def read_stop(lines):
    """How the last stop after the last start ended (outcome one of STOP_REASONS)."""
    first = _last_start(lines)
    if first is None:
        return StopReport('no-start', False, STOP_REASONS['no-start'], [])
    after = lines[first + 1:]
    notable = [line for line in after if any(text in line for text in _STOP_BEGUN)
               or any(text in line for unused, text in _STOP_OUTCOMES)]
    outcome = 'running'
    for line in reversed(after):
        found = [name for name, text in _STOP_OUTCOMES if text in line]
        if found:
            outcome = found[0]
            break
    if outcome == 'running' and notable:
        outcome = 'interrupted'
    return StopReport(outcome, outcome == 'clean', STOP_REASONS[outcome], notable)
