#!/usr/bin/env bash
# Installs every Debian package Parallax uses (build, tests, model export). Idempotent: when
# everything is already installed it only says so. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ ninja-build pkg-config
  # ONNX import
  libonnx-dev python3-onnx libprotobuf-dev protobuf-compiler
  # CPU kernels (XNNPACK and its dependencies)
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  # OpenCL (headers, ICD loader, PoCL as a CPU OpenCL implementation for tests)
  opencl-headers ocl-icd-opencl-dev pocl-opencl-icd
  # command line, JSON
  libcli11-dev nlohmann-json3-dev
  # tests: Catch2, lit + FileCheck, numpy for the ONNX test generators
  catch2 llvm-14-tools python3-numpy
  # generated code is also checked with clang (tests/codegen)
  clang
  # model export (torchvision models with random weights)
  python3-torch python3-torchvision
  # example apps: PNG input
  libpng-dev
)
# Benchmark against ONNX Runtime (scripts/benchmark.sh): onnxruntime-node needs Node.js and npm.
# A node already on PATH (e.g. from nodesource or nvm) is used as it is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
