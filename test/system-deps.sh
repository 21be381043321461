#!/usr/bin/env bash
# The system packages the tests need, installed by the test commands themselves (`npm test` runs
# this from `pretest`, `npm run test:vm` with --vm; .ci/run goes through the same commands).
# `npm run test:deploy` with --deploy.
# Idempotent: when everything is present it does nothing and prints nothing. Otherwise, as root
# with apt-get, it prints one line naming what it installs, runs `apt-get update` and installs.
# Not root, or no apt-get: it names what is missing and exits 0; the tests that need it skip
# and say why.   usage: test/system-deps.sh [--vm|--deploy]
set -euo pipefail

vm= deploy=
case "${1:-}" in
  --vm) vm=1 ;;
  --deploy) vm=1 deploy=1 ;;
  '') ;;
  *) echo "usage: test/system-deps.sh [--vm|--deploy]" >&2; exit 2 ;;
esac

need=()
want() { # PACKAGE: add once
  local p
  for p in ${need[@]+"${need[@]}"}; do [ "$p" = "$1" ] && return 0; done
  need+=("$1")
}
command -v fio >/dev/null || want fio
command -v losetup >/dev/null || want mount
command -v setpriv >/dev/null || want util-linux # the non-root cases run nvprobe as nobody
# nvprobe report: the HTML report is opened in headless Chromium (test/report).
command -v chromium >/dev/null || want chromium
# Packaging (packaging/, test/packaging): dpkg-deb comes with dpkg; rpmbuild, rpm2cpio from rpm;
# systemd-analyze from systemd (verify needs no running systemd). cloud-init is NOT installed (its
# postinst enables its boot services): packaging/cloud-init/validate.sh runs `cloud-init schema`
# from the package unpacked with apt-get download + dpkg-deb -x, on Debian's python3 with
# cloud-init's Python libraries.
command -v rpmbuild >/dev/null || want rpm
command -v rpm2cpio >/dev/null || want rpm
command -v cpio >/dev/null || want cpio
command -v systemd-analyze >/dev/null || want systemd
lists= # apt-get download (validate.sh) needs the package lists, even when nothing is missing
if ! command -v cloud-init >/dev/null; then
  /usr/bin/python3 -c 'import yaml, jsonschema, requests, jinja2, configobj, jsonpatch, netifaces, oauthlib' 2>/dev/null ||
    for p in python3 python3-yaml python3-jsonschema python3-requests python3-jinja2 python3-configobj python3-jsonpatch python3-netifaces python3-oauthlib; do want "$p"; done
  if command -v apt-cache >/dev/null && ! apt-cache show cloud-init >/dev/null 2>&1; then lists=1; fi
fi
# The Ansible role (packaging/ansible, test/packaging/ansible.test.ts): Debian's ansible-core.
command -v ansible-playbook >/dev/null || want ansible-core
# promtool (test/packaging/prometheus.test.ts): the prometheus package is NOT installed (its postinst
# starts the server through the init script where systemd does not run):
# packaging/prometheus/promtool.sh unpacks it with apt-get download + dpkg-deb -x.
if ! command -v promtool >/dev/null && command -v apt-cache >/dev/null && ! apt-cache show prometheus >/dev/null 2>&1; then lists=1; fi
if [ -n "$vm" ]; then
  # QEMU guest lab (test/vm): TCG emulator; strip shrinks the node copied into the initramfs.
  command -v qemu-system-x86_64 >/dev/null || want qemu-system-x86
  command -v strip >/dev/null || want binutils
  # Boot sequences' boot disk (test/vm/lab/boot-disk.ts): mkfs.ext4 -d, debugfs, e2fsck.
  for t in mkfs.ext4 debugfs e2fsck; do command -v $t >/dev/null || want e2fsprogs; done
fi

if [ -n "$deploy" ]; then
  # Debian guest lab (test/deploy): the image from Debian's packages (mmdebstrap), guests on
  # copy-on-write overlays (qemu-img), NoCloud seeds (genisoimage), ssh and scp into the guests.
  command -v mmdebstrap >/dev/null || want mmdebstrap
  command -v qemu-img >/dev/null || want qemu-utils
  command -v genisoimage >/dev/null || want genisoimage
  for t in ssh scp ssh-keygen; do command -v $t >/dev/null || want openssh-client; done
fi

[ ${#need[@]} -gt 0 ] || [ -n "$lists" ] || exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  why="not root"; [ "$(id -u)" = 0 ] && why="no apt-get"
  if [ ${#need[@]} -gt 0 ]; then
    echo "system-deps: missing ${need[*]} ($why: install them yourself); the tests that need them skip" >&2
  else
    echo "system-deps: no apt package lists ($why: run apt-get update); the cloud-init schema and promtool tests skip" >&2
  fi
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [ ${#need[@]} -gt 0 ]; then
  echo "system-deps: installing ${need[*]}"
else
  echo "system-deps: apt-get update (package lists for the cloud-init and prometheus downloads)"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && { [ ${#need[@]} -eq 0 ] || apt-get install -y -qq "${need[@]}"; }; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "system-deps: apt-get failed; the tests that need ${need[*]:-the package lists} skip" >&2
  # CI must not turn a broken install into skipped tests.
  [ -z "${CI:-}" ] || exit 1
fi
