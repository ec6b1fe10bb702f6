# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one request check: instance, namespaces, threads and folder, the same words for every caller."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.fastrestart.aerospike.plugins.module_utils._errors import (
    UsageError,
)
from ansible_collections.fastrestart.aerospike.plugins.module_utils._request import (
    Request,
    check_nsid,
)

__metaclass__ = type


def test_an_operation_request_is_checked_and_cannot_change(tmp_path):
    request = Request.operation(str(tmp_path / 'b'), 'test', instance=2, threads=3)
    assert request == (['test'], 2, 3, str(tmp_path / 'b'))
    with pytest.raises(AttributeError):
        request.instance = 3
    assert Request.operation('rel', ['a', 'b']).path == os.path.abspath('rel')
    assert Request.operation('x', ['a']).threads >= 1


@pytest.mark.parametrize('args, message', [
    (('x', []), 'name at least one namespace'),
    (('x', ['']), 'a namespace name must be a non-empty string'),
    (('x', ['a\0b']), 'contains a NUL byte'),
    (('x', ['n' * 40]), 'is longer than the 32 bytes Aerospike stores'),
    (('x', ['a', 'b', 'a']), "namespace 'a' is listed more than once"),
    (('x', ['a'], 16), 'Instance must be from 0..15, got 16'),
    (('x', ['a'], True), 'Instance must be from 0..15, got True'),
    (('x', ['a'], 0, 0), 'Max threads must be in the range 1..1024, got 0'),
    (('', ['a']), 'a folder path is required'),
])
def test_every_refusal_is_worded_once(args, message):
    with pytest.raises(UsageError) as caught:
        Request.operation(*args)
    assert message in caught.value.msg


def test_verify_facts_and_removal_share_the_rules(tmp_path):
    assert Request.verify(str(tmp_path)).namespaces == [] and Request.verify(str(tmp_path)).instance is None
    assert Request.facts(namespaces=['a', 'a', 'b']).namespaces == ['a', 'b']
    assert Request.removal('test', 1) == (['test'], 1, None, None)
    for build in (lambda: Request.verify(str(tmp_path), instance=16), lambda: Request.facts(instance=-1),
                  lambda: Request.removal('test', 16)):
        with pytest.raises(UsageError) as caught:
            build()
        assert 'Instance must be from 0..15' in caught.value.msg
    with pytest.raises(UsageError) as caught:
        check_nsid(33)
    assert caught.value.msg == 'Namespace id must be from 1..32, got 33'
