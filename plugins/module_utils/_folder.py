# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Rules for the backup folder: who could change it, where it lives, how much room it has.

A restore runs as root and writes what it reads into the server's index, so it refuses a
folder that a user other than root and the folder's owner could change. A backup applies
the same rule to the files it is about to write, so it never makes a backup that its own
restore would refuse.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import errno
import os
import stat

__metaclass__ = type

VOLATILE_FILESYSTEMS = ('tmpfs', 'ramfs')
GROUP_OTHER_WRITE = stat.S_IWGRP | stat.S_IWOTH
GROUP_OTHER_SEARCH = stat.S_IXGRP | stat.S_IXOTH


def mode_text(mode):
    return '0%03o' % (mode & 0o7777)


MAX_SYMLINKS = 40
TRUSTED = 'trusted'


def trusted_uids():
    """Owners whose folders we may trust: root, and the user running the tool."""
    return (0, os.geteuid())


def owner_text(uid):
    try:
        import pwd
        return 'uid %d (%s)' % (uid, pwd.getpwuid(uid).pw_name)
    except (ImportError, KeyError):
        return 'uid %d' % uid


class UntrustedFolder(Exception):
    """A folder on the path that someone other than root (or us) could change: (code, message)."""

    def __init__(self, code, message):
        super(UntrustedFolder, self).__init__(message)
        self.code = code
        self.message = message


class Folder:
    """An open backup folder. Every look after the open goes through this descriptor, never
    through the path again, so a path re-pointed after the checks changes nothing we read."""

    def __init__(self, path, fd):
        self.path = path
        self.fd = fd

    def join(self, name):
        return os.path.join(self.path, name)

    def listdir(self):
        return os.listdir(self.fd)

    def lstat(self, name):
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    def exists(self, name):
        try:
            self.lstat(name)
            return True
        except OSError:
            return False

    def open_regular(self, name, flags=os.O_RDONLY):
        """Open an existing regular file; a symlink fails, a FIFO or device cannot block us."""
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, '%s is not a regular file' % self.join(name))
        except BaseException:
            os.close(fd)
            raise
        return fd, st

    def create(self, name, flags=os.O_RDWR, mode=0o600):
        """Create a new file exclusively (never through a link someone left here)."""
        return os.open(name, flags | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=self.fd)

    def unlink(self, name):
        os.unlink(name, dir_fd=self.fd)

    def unlink_quietly(self, name):
        try:
            self.unlink(name)
        except OSError:
            pass

    def rename(self, source, target):
        os.rename(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def same_file(self, name, fd):
        """Whether name is still a link to the open file fd (not deleted, not replaced)."""
        try:
            st = self.lstat(name)
        except OSError:
            return False
        own = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino) and own.st_nlink > 0

    def fsync(self):
        os.fsync(self.fd)

    def mkdir(self, name, mode=0o700):
        """Create a sub-folder and open it without following links: the new Folder."""
        os.mkdir(name, mode, dir_fd=self.fd)
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd)
        return Folder(os.path.join(self.path, name), fd)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # pylint: disable=broad-except
            pass


def _check_dir(st, shown, last, target):
    """Raise UntrustedFolder when someone other than root (or us) could change this folder."""
    if st.st_uid not in trusted_uids():
        if last:
            raise UntrustedFolder('folder-owner', 'folder %s belongs to %s, who could replace the backup in it; keep '
                                  'backups in folders owned by root (chown root: %s, or choose another folder)'
                                  % (shown, owner_text(st.st_uid), shown))
        raise UntrustedFolder('folder-owner', 'parent folder %s belongs to %s, who could replace %s; keep backups under '
                              'folders owned by root' % (shown, owner_text(st.st_uid), target))
    if st.st_mode & GROUP_OTHER_WRITE and last:
        raise UntrustedFolder('folder-permissions', 'folder %s is writable by group or other (mode %s): anyone in them '
                              'could replace the backup; run chmod 0700 %s' % (shown, mode_text(st.st_mode), shown))
    if st.st_mode & GROUP_OTHER_WRITE and not st.st_mode & stat.S_ISVTX:
        raise UntrustedFolder('folder-permissions', 'parent folder %s is writable by group or other without the sticky '
                              'bit (mode %s), so they could replace %s; run chmod go-w %s'
                              % (shown, mode_text(st.st_mode), target, shown))


def open_trusted(path, stop_missing=False):
    """Open the folder at path component by component, checking each folder on the way.

    A symbolic link is followed only when root or we own it (and its folder passed), so
    nobody else can point the path elsewhere. Raises UntrustedFolder or OSError. With
    stop_missing, a missing component ends the walk: returns (Folder of the deepest existing
    folder, [missing names]) for a backup that will create them.
    """
    path = os.path.abspath(path)
    pending = [c for c in path.split('/') if c]
    fd = os.open('/', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    shown = '/'
    links = 0
    try:
        _check_dir(os.fstat(fd), '/', not pending, path)
        while pending:
            name = pending.pop(0)
            if name == '.':
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                if exc.errno == errno.ENOENT and stop_missing:
                    return _reopen(fd, shown), [name] + pending
                raise
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if st.st_uid not in trusted_uids():
                    raise UntrustedFolder('folder-owner', '%s is a symbolic link owned by %s, who could point it '
                                          'elsewhere; give the real folder' % (os.path.join(shown, name),
                                                                               owner_text(st.st_uid)))
                if links > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, 'too many symbolic links in %s' % path)
                target = os.readlink(name, dir_fd=fd)
                pending[:0] = [c for c in target.split('/') if c]
                if target.startswith('/'):
                    os.close(fd)
                    fd = os.open('/', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                    shown = '/'
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise OSError(errno.ENOTDIR, '%s exists and is not a folder' % os.path.join(shown, name))
            child = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = child
            shown = os.path.normpath(os.path.join(shown, name))
            _check_dir(os.fstat(fd), shown, not pending, path)
        folder = _reopen(fd, shown)
        return (folder, []) if stop_missing else folder
    finally:
        os.close(fd)


def _reopen(fd, shown):
    """A readable descriptor of the folder that the O_PATH descriptor fd stands for."""
    return Folder(shown, os.open('.', os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd))


def as_folder(folder):
    """A Folder for callers that still pass a path (no trust checks: they only read)."""
    if isinstance(folder, Folder):
        return folder
    return Folder(os.path.abspath(folder), os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))


@contextlib.contextmanager
def opened(folder):
    """as_folder for a with block: closed at its end only when it was opened here."""
    own = as_folder(folder)
    try:
        yield own
    finally:
        if own is not folder:
            own.close()


def folder_problems(folder, file_modes):
    """Reasons why users other than root could change this backup through its files.

    The folder and every folder above it were checked when it was opened (open_trusted).
    file_modes maps file names to the permission bits they have (restore) or will have
    (backup). Returns a list of (code, message) pairs.
    """
    problems = []
    mode = os.fstat(folder.fd).st_mode
    if mode & GROUP_OTHER_SEARCH:
        writable = sorted(name for name, bits in file_modes.items() if bits & GROUP_OTHER_WRITE)
        if writable:
            problems.append(('folder-permissions',
                             'folder %s lets group or other in (mode %s) and %s %s writable by them (mode %s): they '
                             'could change the backup; run chmod 0700 %s' % (
                                 folder.path, mode_text(mode), ', '.join(writable[:3]) + (' ...' if len(writable) > 3 else ''),
                                 'is' if len(writable) == 1 else 'are', mode_text(file_modes[writable[0]]), folder.path)))
    return problems


def fsync_dir(folder):
    """Make a new, renamed or removed directory entry durable (folder: a Folder or a path)."""
    if isinstance(folder, Folder):
        folder.fsync()
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def filesystem_type(path, mountinfo='/proc/self/mountinfo'):
    """The type of the file system holding path (the longest matching mount point)."""
    target = os.path.realpath(path)
    best = ('', None)
    with open(mountinfo) as handle:
        for line in handle:
            left, sep, right = line.partition(' - ')
            if not sep:
                continue
            mount_point = left.split()[4].replace('\\040', ' ')
            inside = target == mount_point or target.startswith(mount_point.rstrip('/') + '/')
            if inside and len(mount_point) >= len(best[0]):
                best = (mount_point, right.split()[0])
    return best[1]


def existing_ancestor(path):
    """path itself if it exists, else its nearest existing parent: where it would be created."""
    existing = path
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    return existing


def volatile_filesystem(path):
    """'tmpfs' or 'ramfs' when a reboot would erase path, else None."""
    fstype = filesystem_type(existing_ancestor(path))
    return fstype if fstype in VOLATILE_FILESYSTEMS else None


def free_bytes(path):
    """Bytes available to this user on path's file system (or its nearest existing parent's)."""
    st = os.statvfs(existing_ancestor(path))
    return st.f_bavail * st.f_frsize
