# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""asd's configuration file as text: where its log goes, and its namespaces' rack-ids."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_CONFIG = '/etc/aerospike/aerospike.conf'


def read_text(path):
    """The file's text; '' when it cannot be read, which readers take as Aerospike's defaults."""
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return ''
