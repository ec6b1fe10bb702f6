# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""This host: boot id, name, time."""

from __future__ import absolute_import, division, print_function

import re
import socket

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _host

__metaclass__ = type


def test_boot_id(tmp_path):
    real = _host.boot_id()
    assert re.match(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', real)
    assert real == open('/proc/sys/kernel/random/boot_id').read().strip()
    assert _host.boot_id(str(tmp_path / 'missing')) is None
    fake = tmp_path / 'boot_id'
    fake.write_text('  abc \n')
    assert _host.boot_id(str(fake)) == 'abc'


def test_name_and_time():
    assert _host.hostname() == socket.gethostname()
    assert _host.now_iso(0) == '1970-01-01T00:00:00Z'
