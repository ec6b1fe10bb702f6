# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The modules that ask the local asd through asinfo.
    DOCUMENTATION = r'''
options:
  asinfo:
    description:
      - The asinfo command and its connection options, as a list (add C(-h)/C(-p), C(-U)/C(-P) or TLS options here).
    type: list
    elements: str
    default: [asinfo]
'''

    # Modules that only read: the same in check mode.
    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    details:
      - It changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
'''
