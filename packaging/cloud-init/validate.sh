#!/usr/bin/env bash
# Validate cloud-config files with `cloud-init schema --config-file` (cloud-init's own validator
# and JSON schema). Uses cloud-init when it is installed; otherwise runs the same command from
# Debian's cloud-init package unpacked into a cache directory (apt-get download + dpkg-deb -x),
# because installing cloud-init would enable its boot services on the machine running the check.
# The unpacked copy needs cloud-init's Python libraries (python3-yaml, python3-jsonschema,
# python3-requests, python3-jinja2, python3-configobj, python3-jsonpatch, python3-netifaces,
# python3-oauthlib); test/system-deps.sh (run by `npm test`) installs them.
# usage: packaging/cloud-init/validate.sh FILE...      env: NVPROBE_CLOUD_INIT_CACHE (unpack dir)
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: validate.sh FILE..." >&2; exit 2; }

if command -v cloud-init >/dev/null 2>&1; then
  run() { cloud-init schema --config-file "$1"; }
else
  cache=${NVPROBE_CLOUD_INIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvprobe/cloud-init}
  pkgdir=$cache/root/usr/lib/python3/dist-packages
  if [ ! -f "$pkgdir/cloudinit/cmd/main.py" ]; then
    command -v apt-get >/dev/null || { echo "validate.sh: neither cloud-init nor apt-get is available" >&2; exit 3; }
    mkdir -p "$cache"
    (cd "$cache" && rm -f cloud-init_*.deb && apt-get download -q cloud-init 2>/dev/null >&2)
    dpkg-deb -x "$cache"/cloud-init_*.deb "$cache/root"
  fi
  run() {
    PYTHONPATH=$pkgdir /usr/bin/python3 -c 'import sys; from cloudinit.cmd.main import main; sys.exit(main())' \
      schema --config-file "$1"
  }
fi
status=0
for f in "$@"; do run "$f" || status=1; done
exit $status
