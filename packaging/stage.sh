#!/usr/bin/env bash
# Stage the file tree nvprobe installs (the payload of the .deb and the .rpm) under DESTDIR:
#   /usr/lib/nvprobe/{bin,dist,package.json,node_modules}   built JS + production dependencies
#   /usr/bin/nvprobe -> ../lib/nvprobe/bin/nvprobe
#   /usr/share/nvprobe/rules/                                 shipped rules
#   /etc/nvprobe/rules.d/                                     local rules (empty)
#   /usr/lib/systemd/system/nvprobe-tune.service              boot unit (shipped disabled)
#   /usr/lib/systemd/system/nvprobe-verify.service            boot-time verify after tune --persist (shipped disabled)
#   /usr/lib/systemd/system/nvprobe-watch.{timer,service}     a short probe every 5 min for Prometheus (timer shipped disabled)
#   /usr/share/man/man1/nvprobe.1.gz                          man page derived from --help
#   /usr/share/doc/nvprobe/                                   README, copyright, cloud-init example
# usage: packaging/stage.sh DESTDIR [NODE_ARCH]   NODE_ARCH: x64 or arm64 (default: this machine's)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${1:?usage: stage.sh DESTDIR [x64|arm64]}
arch=${2:-$(node -p process.arch)}
case "$arch" in x64 | arm64) ;; *) echo "stage.sh: unsupported architecture $arch (x64, arm64)" >&2; exit 2 ;; esac
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}

cd "$repo"
npm run --silent build >&2

lib=$dest/usr/lib/nvprobe
rm -rf "$lib"
mkdir -p "$lib" "$dest/usr/bin" "$dest/usr/share/nvprobe" "$dest/etc/nvprobe/rules.d" \
  "$dest/usr/lib/systemd/system" "$dest/usr/share/man/man1" "$dest/usr/share/doc/nvprobe/examples"
cp -r bin dist package.json package-lock.json "$lib/"
find "$lib/dist" -name '*.map' -delete
# Production dependencies only, for the target architecture: ffi-rs's native binding is an optional
# per-platform package (@yuuang/ffi-rs-linux-x64-gnu / -arm64-gnu) that npm picks by --cpu/--os/--libc.
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error --cpu="$arch" --os=linux --libc=glibc >&2)
rm -f "$lib/package-lock.json" "$lib/node_modules/.package-lock.json"
binding="$lib/node_modules/@yuuang/ffi-rs-linux-$arch-gnu"
[ -d "$binding" ] || { echo "stage.sh: $binding missing: ffi-rs's native binding for $arch was not installed" >&2; exit 1; }
for other in "$lib"/node_modules/@yuuang/ffi-rs-*; do
  [ "$other" = "$binding" ] || rm -rf "$other" # never ship another platform's binding
done
chmod 0755 "$lib/bin/nvprobe"
ln -sfn ../lib/nvprobe/bin/nvprobe "$dest/usr/bin/nvprobe"

cp -r rules "$dest/usr/share/nvprobe/rules"
install -m 0644 "$here/systemd/nvprobe-tune.service" "$here/systemd/nvprobe-verify.service" \
  "$here/systemd/nvprobe-watch.timer" "$here/systemd/nvprobe-watch.service" "$dest/usr/lib/systemd/system/"
node "$here/man/nvprobe-man.mjs" | gzip -9n >"$dest/usr/share/man/man1/nvprobe.1.gz"
install -m 0644 README.md "$dest/usr/share/doc/nvprobe/README.md"
install -m 0644 "$here/cloud-init/nvprobe.cloud-config.yaml" "$dest/usr/share/doc/nvprobe/examples/"
cat >"$dest/usr/share/doc/nvprobe/copyright" <<COPYRIGHT
nvprobe is distributed under the MIT license (see "license" in /usr/lib/nvprobe/package.json).
The bundled Node.js modules under /usr/lib/nvprobe/node_modules carry their own licenses,
each in its package directory.
COPYRIGHT
# Deterministic modes: directories and executables 0755, everything else 0644.
find "$dest" -type d -exec chmod 0755 {} +
find "$dest" -type f ! -perm -u+x -exec chmod 0644 {} +
find "$dest" -type f -perm -u+x -exec chmod 0755 {} +
find "$dest" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
