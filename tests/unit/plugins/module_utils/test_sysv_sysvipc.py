# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sysv_ipc backend's errors become the OSErrors the ctypes backend raises."""

from __future__ import absolute_import, division, print_function

import errno

import pytest
import sysv_ipc

from ansible_collections.fastrestart.aerospike.plugins.module_utils import _sysv_sysvipc

__metaclass__ = type


@pytest.mark.parametrize('exc, code', [
    (sysv_ipc.PermissionsError('Permission denied'), errno.EACCES),
    (sysv_ipc.ExistentialError('No shared memory with id 7 exists'), errno.EINVAL),
    (sysv_ipc.NotAttachedError('Not attached'), errno.EINVAL),
    (ValueError('Invalid id, address, or flags'), errno.EINVAL),
    (sysv_ipc.Error('something else'), errno.EIO),
    (OSError(errno.ENOMEM, 'Cannot allocate memory'), errno.ENOMEM),
])
def test_os_error(exc, code):
    error = _sysv_sysvipc.os_error(exc)
    assert isinstance(error, OSError) and error.errno == code


def test_attach_of_a_missing_segment_is_einval(shm):
    shmid = shm.create(0xAE001000, 4096)
    shm.remove_all()
    with pytest.raises(OSError) as caught:
        _sysv_sysvipc.Attachment(shmid)
    assert caught.value.errno == errno.EINVAL
