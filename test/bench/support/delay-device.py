#!/usr/bin/env python3
"""A FUSE file whose reads take a set time: the bench's stand-in for dm-delay on kernels without
device-mapper. Reads return zeros after sleeping the delay (microseconds) in the control file,
re-read every 10 ms so the bench can ramp it during a run. With --faster-when PATH=VALUE the
delay is --faster-by shorter while the sysfs attribute PATH reads VALUE: a knob with a real effect.

Usage: delay-device.py MOUNTPOINT CONTROL_FILE SIZE_BYTES [--faster-when PATH=VALUE --faster-by 0.1]
"""
import argparse
import errno
import os
import stat
import threading
import time

try:
    from fusepy import FUSE, FuseOSError, Operations  # Debian's python3-fusepy
except ImportError:
    from fuse import FUSE, FuseOSError, Operations

NAME = 'disk'


class Delay(Operations):
    def __init__(self, control, size, when, by):
        self.control, self.size, self.when, self.by = control, size, when, by
        self.delay_s = 0.0
        self.fast = False
        threading.Thread(target=self.watch, daemon=True).start()

    def watch(self):
        while True:
            try:
                with open(self.control) as f:
                    self.delay_s = float(f.read().strip() or 0) / 1e6
            except (OSError, ValueError):
                pass
            if self.when:
                try:
                    with open(self.when[0]) as f:
                        self.fast = self.when[1] in f.read().split()
                except OSError:
                    self.fast = False
            time.sleep(0.01)

    def getattr(self, path, fh=None):
        now = time.time()
        if path == '/':
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_ctime=now, st_mtime=now, st_atime=now)
        if path == '/' + NAME:
            return dict(st_mode=stat.S_IFREG | 0o600, st_nlink=1, st_size=self.size, st_ctime=now, st_mtime=now, st_atime=now)
        raise FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        return ['.', '..', NAME]

    def open(self, path, flags):
        if path != '/' + NAME:
            raise FuseOSError(errno.ENOENT)
        return 0

    def read(self, path, size, offset, fh):
        d = self.delay_s * (1 - self.by) if self.fast else self.delay_s
        if d > 0:
            time.sleep(d)
        n = max(0, min(size, self.size - offset))
        return bytes(n)

    def write(self, path, data, offset, fh):
        raise FuseOSError(errno.EROFS)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mountpoint')
    p.add_argument('control')
    p.add_argument('size', type=int)
    p.add_argument('--faster-when')
    p.add_argument('--faster-by', type=float, default=0.1)
    a = p.parse_args()
    when = tuple(a.faster_when.split('=', 1)) if a.faster_when else None
    FUSE(Delay(a.control, a.size, when, a.faster_by), a.mountpoint, foreground=True, direct_io=True, ro=True, allow_other=True)


if __name__ == '__main__':
    main()
