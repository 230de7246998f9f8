#!/usr/bin/env bash
# Puts two real photos for the example apps into OUT (default build/examples/images):
# chelsea.png (a cat, 451x300) and astronaut.png (a person, 512x512), both from Debian's
# python3-skimage package (scikit-image's sample data; public domain / CC0). Only the .deb is
# downloaded and unpacked into a scratch folder: nothing is installed. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/examples/images}
if [ -s "$OUT/chelsea.png" ] && [ -s "$OUT/astronaut.png" ]; then
  echo "fetch_sample_images: $OUT already has chelsea.png and astronaut.png"
  exit 0
fi
mkdir -p "$OUT"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# apt-get download writes into the current folder; _apt cannot write to a root-only mktemp dir.
chmod 755 "$scratch"
# (Its warning about downloading unsandboxed as root is expected and dropped.) A machine whose
# package lists were never fetched knows no python3-skimage: update them once and retry.
download() {
  (cd "$scratch" && apt-get download python3-skimage 2>&1 >/dev/null | grep -v unsandboxed >&2 || true)
  ls "$scratch"/python3-skimage_*.deb >/dev/null 2>&1
}
if ! download; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update >/dev/null
  download || { echo "fetch_sample_images: cannot download python3-skimage" >&2; exit 1; }
fi
dpkg-deb -x "$scratch"/python3-skimage_*.deb "$scratch/root"
data="$scratch/root/usr/lib/python3/dist-packages/skimage/data"
cp "$data/chelsea.png" "$data/astronaut.png" "$OUT/"
echo "fetch_sample_images: wrote $OUT/chelsea.png and $OUT/astronaut.png (from python3-skimage)"
