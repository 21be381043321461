# Sourced by deb/build.sh and rpm/build.sh: arguments [OUTDIR] [x64|arm64], the checkout, the
# version, and a staged tree in a temporary work dir (removed on exit).
# Sets: repo, out (absolute), arch (node's name), version, work (holds the staged root/).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/packaging/out}
arch=${2:-$(node -p process.arch)}
case "$arch" in x64 | arm64) ;; *) echo "$(basename "$(dirname "$0")")/build.sh: unsupported architecture $arch" >&2; exit 2 ;; esac
version=$(node -p "require('$repo/package.json').version")
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$repo/packaging/stage.sh" "$work/root" "$arch"
