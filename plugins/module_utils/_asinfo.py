# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Asking the local asd through Aerospike's ``asinfo``, and reading its replies.

asinfo's exit code does not tell an answer from a failure: a bare ``ERROR`` (a declined
``recluster:`` before 7.2) exits 0, and every ``ERROR:...`` reply exits 1 like a refused
connection. So a reply is judged by its text: ``ERROR`` in any case at its start is an error,
and the connection errors (asd down or still loading) are told apart by their wording.
"""

from __future__ import absolute_import, division, print_function

import subprocess

__metaclass__ = type

DEFAULT_ARGV = ('asinfo',)
NOT_RUNNING_MARKS = ('not able to connect', 'connection refused', 'connection failed')


class AsinfoError(Exception):
    """asinfo could not be run, or asd did not answer."""


def pairs(text, sep=';'):
    """{key: value} of a ``k=v;k=v`` reply; a piece without ``=`` maps to ''."""
    result = {}
    for piece in (text or '').split(sep):
        piece = piece.strip()
        if piece:
            key, value = (piece.split('=', 1) + [''])[:2]
            result[key] = value
    return result


def is_error(reply):
    """Whether a reply is one of the server's or asinfo's errors."""
    return reply.strip().upper().startswith('ERROR') or reply.startswith('Error: ')


def _subprocess_runner(argv, timeout):
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise AsinfoError('cannot run %s (%s): set the asinfo command (a list, e.g. [asinfo, -h, 127.0.0.1])'
                          % (argv[0], exc.strerror or exc))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AsinfoError('%s did not answer within %d s' % (' '.join(argv), timeout))
    return proc.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')


def each_node(argv, nodes):
    """{name: Asinfo} that reaches each of ``nodes`` ({name: address}) with ``asinfo -h <address>``."""
    return dict((name, Asinfo(list(argv) + ['-h', str(address)])) for name, address in nodes.items())


class Asinfo:
    """One asd, asked through an asinfo command line (``argv`` is asinfo and its connection options)."""

    def __init__(self, argv=DEFAULT_ARGV, runner=None, timeout=30):
        self.argv = list(argv)
        self.timeout = timeout
        self.runner = runner or _subprocess_runner

    def ask(self, request):
        """The reply to one info request, trimmed; AsinfoError when asd does not answer."""
        rc, out, err = self.runner(self.argv + ['-v', request], self.timeout)
        reply = out.strip()
        lowered = (reply + ' ' + err).lower()
        if any(mark in lowered for mark in NOT_RUNNING_MARKS):
            raise AsinfoError('asd does not answer (%s)' % (reply or err.strip()))
        if rc != 0 and not reply:
            raise AsinfoError('%s -v %s failed (rc %d): %s' % (' '.join(self.argv), request, rc, err.strip()))
        return reply

    def running(self):
        """Whether asd answers ``status`` with ``ok`` (a refused connection means down or still loading)."""
        try:
            return self.ask('status') == 'ok'
        except AsinfoError:
            return False
