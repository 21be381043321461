#!/usr/bin/env bash
# Build nvprobe-<version>-1.<arch>.rpm from this checkout with rpmbuild (Debian: apt-get install rpm).
# usage: packaging/rpm/build.sh [OUTDIR] [x64|arm64]   (default OUTDIR: packaging/out; arch: this machine's)
# Prints the .rpm's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../build-setup.sh"
case "$arch" in x64) rpmarch=x86_64 ;; arm64) rpmarch=aarch64 ;; esac
rpmbuild -bb --quiet --target "$rpmarch" \
  --define "_topdir $work/rpmbuild" \
  --define "_rpmdir $out" \
  --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  --define "_source_date_epoch_from_changelog 0" \
  --define "_binary_payload w9.xzdio" \
  --define "stagedir $work/root" \
  --define "nvversion $version" \
  --define "nvurl ${NVPROBE_HOMEPAGE:-https://www.npmjs.com/package/nvprobe}" \
  "$here/nvprobe.spec" >&2
echo "$out/nvprobe-$version-1.$rpmarch.rpm"
