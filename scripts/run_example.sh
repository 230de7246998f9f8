#!/usr/bin/env bash
# README command (a): set up, build and install Parallax, then build the image classifier app
# (examples/classifier) against the installed package the way an app team would, and run it on
# a real photo. Also checks the bundled tiny model with parallax-run, as before.
#
#   build/            Parallax build tree (scripts/build.sh)
#   build/install/    the installed package: bin/parallax-compile, lib/cmake/Parallax, ...
#   build/models/     the zoo model (scripts/export_models.py; random weights, see below)
#   build/examples/   sample photo, ImageNet labels, the app's own build tree
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BUILD_DIR=${BUILD_DIR:-build}  # scripts/build.sh builds here too
case $BUILD_DIR in /*) B=$BUILD_DIR ;; *) B=$ROOT/$BUILD_DIR ;; esac
MODEL_NAME=${MODEL_NAME:-mobilenet_v2}  # any zoo classifier: resnet18, squeezenet1_1, ...

scripts/setup.sh
scripts/build.sh

echo
echo "== parallax-run examples/tiny_branchy (outputs checked against its test_data_set_0) =="
"$B/bin/parallax-run" examples/tiny_branchy/model.onnx \
  --inputs examples/tiny_branchy/test_data_set_0 --compare --runs 20

echo
echo "== cmake --install $BUILD_DIR --prefix $BUILD_DIR/install =="
rm -rf "$B/install"
cmake --install "$B" --prefix "$B/install" >/dev/null
echo "installed: $(cd "$B/install" && find bin lib/cmake -type f | sort | tr '\n' ' ')"

echo
echo "== export $MODEL_NAME from the zoo (torchvision architecture, random weights) =="
/usr/bin/python3 scripts/export_models.py --out "$B/models" --models "$MODEL_NAME"

echo
echo "== sample photo and class names =="
scripts/fetch_sample_images.sh "$B/examples/images"
# torchvision ships the ImageNet class names with its model metadata.
/usr/bin/python3 -c 'from torchvision.models._meta import _IMAGENET_CATEGORIES as c; print("\n".join(c))' \
  > "$B/examples/imagenet_labels.txt"

echo
echo "== build examples/classifier with find_package(Parallax) + parallax_add_model =="
cmake -S examples/classifier -B "$B/examples/classifier" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$B/install" -DCLASSIFIER_MODEL="$B/models/$MODEL_NAME/model.onnx" >/dev/null
start=$(date +%s%N)
cmake --build "$B/examples/classifier"
echo "app build (parallax-compile + C++ compile + link): $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo
echo "== run the classifier on $BUILD_DIR/examples/images/chelsea.png =="
"$B/examples/classifier/classifier" "$B/examples/images/chelsea.png" \
  --labels "$B/examples/imagenet_labels.txt" --top 5 --runs 20
