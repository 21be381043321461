#!/usr/bin/env bash
# Run Prometheus's promtool (`promtool check metrics`, `promtool check rules FILE`, `promtool test
# rules FILE`). Uses promtool when it is installed; otherwise the one from Debian's prometheus
# package unpacked into a cache directory (apt-get download + dpkg-deb -x), because installing that
# package would start the Prometheus server (its postinst starts it through the init script where
# systemd does not run) on the machine running the check.
# usage: packaging/prometheus/promtool.sh ARGS...     env: NVPROBE_PROMTOOL_CACHE (unpack dir)
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then exec promtool "$@"; fi
cache=${NVPROBE_PROMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvprobe/prometheus}
bin=$cache/root/usr/bin/promtool
if [ ! -x "$bin" ]; then
  command -v apt-get >/dev/null || { echo "promtool.sh: neither promtool nor apt-get is available" >&2; exit 3; }
  mkdir -p "$cache"
  (cd "$cache" && rm -f prometheus_*.deb && apt-get download -q prometheus 2>/dev/null >&2)
  dpkg-deb -x "$cache"/prometheus_*.deb "$cache/root"
fi
exec "$bin" "$@"
