# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""pyasmt's arguments: ASMT 2.2.1's options (GNU getopt_long over 'abchi:n:p:rt:vz'), its help
text, and the checks it makes of them, in the order it makes them.

The ranges of the instance and the thread count are the core's (_request); only the words,
ASMT's, are the command line's.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    UsageError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._keys import (
    INSTANCE_MAX,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    MAX_THREADS,
    check_instance,
    check_namespace,
    check_threads,
)

__metaclass__ = type

ASMT_VERSION = '2.2.1'
# ASMT's "use the default" values for -i (any instance) and -t (one thread per CPU).
ANY_INSTANCE = 65535
DEFAULT_THREADS = 65535

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


def usage_text(prog, full):
    """ASMT's usage (and with full, the combinations, examples and exit status)."""
    text = USAGE.format(prog=prog, pad=' ' * len(prog)) + '\n' + OPTIONS + '\n' + NOTES
    if full:
        text += '\n' + FULL.format(prog=prog)
    return text.rstrip('\n')


class ArgumentError(Exception):
    """A command line ASMT refuses: the message, a hint after it, and whether the full usage follows."""

    def __init__(self, message, hint=None, full=False):
        super(ArgumentError, self).__init__(message)
        self.message = message
        self.hint = hint
        self.full = full


def check(opts, warn):
    """ASMT's checks of the options, in its order; warn(text) says what is needless but harmless.

    Returns (instance, threads): instance None is every instance (verify only), threads None
    one per CPU. Raises ArgumentError. The namespaces are split later, after the banner, as
    ASMT does.
    """
    if opts.arguments:
        raise ArgumentError("Unexpected argument%s %s: options only; give several namespaces as one list, -n a,b."
                            % ('s' if len(opts.arguments) > 1 else '', ', '.join("'%s'" % a for a in opts.arguments)),
                            full=True)
    if opts.backup + opts.restore + opts.verify != 1:
        if opts.verify:
            raise ArgumentError("Must specify exactly one of backup ('-b'), restore ('-r') or verify ('--verify').")
        raise ArgumentError("Must specify exactly one of backup ('-b') or restore ('-r').")
    if not opts.path:
        raise ArgumentError("Must specify pathname of file directory (use '-p').")
    if opts.crc and opts.verify:
        warn("Unnecessary to specify crc32 checking ('-c') with verify ('--verify'): it always checks.")
    if opts.compress and not opts.backup:
        other = "restore ('-r')" if opts.restore else "verify ('--verify')"
        warn("Unnecessary to specify compress ('-z') with %s." % other)
    return _instance(opts), _threads(opts)


def _instance(opts):
    if opts.instance is None:
        return None if opts.verify else 0
    value = parse_number(opts.instance)
    if value == ANY_INSTANCE:
        raise ArgumentError("Instance must be from 0..%d (use '-i')." % INSTANCE_MAX,
                            hint="Instance 65535 (ASMT's 'any instance') is not supported: run once per instance.")
    try:
        return check_instance(value)
    except UsageError:
        raise ArgumentError("Instance must be from 0..%d (use '-i')." % INSTANCE_MAX,
                            hint="Got '%s'." % opts.instance) from None


def _threads(opts):
    if opts.threads is None:
        return None
    value = parse_number(opts.threads)
    if value == DEFAULT_THREADS:
        return None
    try:
        return check_threads(value if value is not None else '')
    except UsageError:
        raise ArgumentError("Max threads must be in the range 1..%d (use '-t')." % MAX_THREADS,
                            hint="Got '%s'." % opts.threads) from None
