# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Entry point of bin/pyasmt: make this checkout importable as the collection, then run the CLI."""

from __future__ import absolute_import, division, print_function

import os
import sys

__metaclass__ = type

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import collection_path  # noqa: E402  pylint: disable=wrong-import-position

collection_path.register()

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _cli  # noqa: E402  pylint: disable=wrong-import-position

if __name__ == '__main__':
    sys.exit(_cli.main())
