#!/usr/bin/env bash
# Build nvprobe_<version>_<arch>.deb from this checkout.
# usage: packaging/deb/build.sh [OUTDIR] [x64|arm64]   (default OUTDIR: packaging/out; arch: this machine's)
# Needs: node/npm (the checkout's dev dependencies, for tsc), dpkg-deb. Prints the .deb's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../build-setup.sh"
case "$arch" in x64) debarch=amd64 ;; arm64) debarch=arm64 ;; esac
mkdir -p "$work/root/DEBIAN"
installed_kb=$(du -sk --exclude=DEBIAN "$work/root" | cut -f1)
cat >"$work/root/DEBIAN/control" <<CONTROL
Package: nvprobe
Version: $version
Architecture: $debarch
Maintainer: ${NVPROBE_MAINTAINER:-nvprobe maintainers <nvprobe@localhost>}
Installed-Size: $installed_kb
Depends: nodejs (>= 20)
Section: admin
Priority: optional
Homepage: ${NVPROBE_HOMEPAGE:-https://www.npmjs.com/package/nvprobe}
Description: measure, explain and tune QD1 storage latency inside Linux guest VMs
 nvprobe times 4 KiB O_DIRECT random reads one at a time, subtracts its own
 per-call cost, and says whether the reads completed by polling or by interrupt.
 It inspects the guest (hypervisor, disks, queues, cpuidle/haltpoll), evaluates
 rules, and with "nvprobe tune" applies and keeps only the changes that
 measurably cut latency, journaled so that "nvprobe revert" restores them.
 .
 nvprobe-tune.service runs the tuning at boot and nvprobe-watch.timer a short
 probe every 5 minutes for Prometheus; both are installed disabled.
CONTROL
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$work/root/DEBIAN/$s"; done

deb="$out/nvprobe_${version}_${debarch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$work/root" "$deb" >&2
echo "$deb"
