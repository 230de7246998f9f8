#!/usr/bin/python3
"""Exports real PyTorch models to ONNX, with reference inputs and outputs, for end-to-end tests.

Every model gets random weights from a fixed seed (nothing is downloaded), float32, and a
calibration step so that its outputs have a meaningful magnitude: norm layers get non-trivial
affine parameters, BatchNorm running statistics are measured on a few random batches in train
mode, then the model is put in eval mode. For each model NAME the script writes

  OUT/NAME/model.onnx
  OUT/NAME/test_data_set_0/input_N.pb    the example inputs
  OUT/NAME/test_data_set_0/output_N.pb   PyTorch's own outputs for them

which is the layout of the ONNX backend tests, so `parallax-run model.onnx --inputs
test_data_set_0 --compare` checks it. A model whose folder is complete is skipped (the folder
is written under a temporary name and renamed at the end, so a complete folder is a finished
one); --force re-exports.

Usage:
  export_models.py --out build/models                        # every registered model
  export_models.py --out build/models --models resnet18,transformer_encoder
  export_models.py --list

Adding a model: write a builder that returns (module, example_inputs) and register it in
MODELS with a one-line description. The module must be deterministic for a fixed seed.
"""
import argparse
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn

DEFAULT_OPSET = 13
SEED = 20240611
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm,
              nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


# ---- model builders: each returns (module, tuple of example inputs) ----

def _image(size=224):
    return (torch.randn(1, 3, size, size),)


def _torchvision(name, **kwargs):
    import torchvision.models as tvm
    return lambda: (getattr(tvm, name)(weights=None, **kwargs), _image())


class TransformerClassifier(nn.Module):
    """A 2-layer post-norm transformer encoder over 16 tokens of width 64, then a Linear head."""

    def __init__(self, d_model=64, heads=4, layers=2, classes=10):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, classes)

    def forward(self, x):
        return self.head(self.encoder(x))


def _transformer_encoder():
    return TransformerClassifier(), (torch.randn(1, 16, 64),)


# name -> (builder, description). Later model-zoo entries (inception_v3, densenet121,
# efficientnet_b0, a YOLOv8n replica, Whisper, DistilBERT, ...) are added here.
MODELS = {
    "resnet18": (_torchvision("resnet18"), "torchvision ResNet-18, 1x3x224x224"),
    "mobilenet_v2": (_torchvision("mobilenet_v2"), "torchvision MobileNetV2, 1x3x224x224"),
    "squeezenet1_1": (_torchvision("squeezenet1_1"), "torchvision SqueezeNet 1.1, 1x3x224x224"),
    "googlenet": (_torchvision("googlenet", aux_logits=False, init_weights=True),
                  "torchvision GoogLeNet (Inception v1, no aux heads), 1x3x224x224"),
    "transformer_encoder": (_transformer_encoder,
                            "2-layer nn.TransformerEncoder (d_model 64, 4 heads) + Linear, 1x16x64"),
}


# ---- calibration, export, test data (also used by make_example_model.py) ----

def calibrate(model, example_inputs, batches=4, batch_size=4):
    """Gives norm layers non-trivial affine parameters and realistic BatchNorm statistics.

    Random-init BatchNorm has mean 0 / var 1 running stats, which in eval mode lets activations
    grow or vanish layer after layer; measuring them on random batches in train mode (cumulative
    average: momentum None) keeps every layer's output near unit scale. Ends in eval mode.
    """
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, NORM_TYPES) and getattr(m, "weight", None) is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.reset_running_stats()
                m.momentum = None
        model.train()
        for _ in range(batches):
            model(*[torch.randn(batch_size, *x.shape[1:], dtype=x.dtype) for x in example_inputs])
    model.eval()
    return model


def _outputs_tuple(y):
    if isinstance(y, torch.Tensor):
        return (y,)
    return tuple(y)


def export(model, example_inputs, path, opset=DEFAULT_OPSET):
    """Exports model to path and returns its reference outputs (numpy) for example_inputs."""
    import onnx
    with torch.no_grad():
        outputs = [y.numpy() for y in _outputs_tuple(model(*example_inputs))]
    input_names = ["input" if len(example_inputs) == 1 else f"input_{i}"
                   for i in range(len(example_inputs))]
    output_names = ["output" if len(outputs) == 1 else f"output_{i}"
                    for i in range(len(outputs))]
    # Traced with autograd on: under no_grad nn.TransformerEncoderLayer takes its fused fast
    # path (aten::_transformer_encoder_layer_fwd), which has no ONNX export.
    torch.onnx.export(model, example_inputs, path, opset_version=opset,
                      do_constant_folding=True, input_names=input_names,
                      output_names=output_names)
    onnx.checker.check_model(onnx.load(path))
    return input_names, output_names, outputs


def write_test_data(folder, names, arrays, kind):
    """Writes arrays as folder/{kind}_N.pb TensorProtos named after the graph's inputs/outputs."""
    from onnx import numpy_helper
    os.makedirs(folder, exist_ok=True)
    for i, (name, a) in enumerate(zip(names, arrays)):
        with open(os.path.join(folder, f"{kind}_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.ascontiguousarray(a), name).SerializeToString())


def check_scale(name, outputs):
    """Prints each output's max |y|; returns False when an output is NaN/Inf or all ~0."""
    ok = True
    for i, y in enumerate(outputs):
        finite = bool(np.isfinite(y).all())
        peak = float(np.abs(y).max()) if y.size else 0.0
        print(f"  {name} output_{i}: shape {list(y.shape)} max|y| {peak:.4g}"
              + ("" if finite else "  NOT FINITE"))
        if not finite or peak < 1e-3:
            ok = False
    return ok


def build_and_export(name, builder, target, opset):
    """Builds, calibrates and exports one model into target (a fresh folder)."""
    torch.manual_seed(SEED)
    model, example_inputs = builder()
    model = calibrate(model.float(), example_inputs)
    # The reference inputs come from their own seed so they do not depend on the calibration.
    torch.manual_seed(SEED + 1)
    example_inputs = tuple(torch.randn_like(x) for x in example_inputs)
    os.makedirs(target)
    input_names, output_names, outputs = export(model, example_inputs,
                                                os.path.join(target, "model.onnx"), opset)
    data = os.path.join(target, "test_data_set_0")
    write_test_data(data, input_names, [x.numpy() for x in example_inputs], "input")
    write_test_data(data, output_names, outputs, "output")
    return check_scale(name, outputs)


def is_complete(folder):
    data = os.path.join(folder, "test_data_set_0")
    return (os.path.isfile(os.path.join(folder, "model.onnx"))
            and os.path.isfile(os.path.join(data, "input_0.pb"))
            and os.path.isfile(os.path.join(data, "output_0.pb")))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", help="folder that receives one sub-folder per model")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated model names (default: all)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    p.add_argument("--force", action="store_true", help="re-export models that exist already")
    p.add_argument("--list", action="store_true", help="list the registered models and exit")
    args = p.parse_args()

    if args.list:
        for name, (_, desc) in MODELS.items():
            print(f"{name:24} {desc}")
        return 0
    if not args.out:
        p.error("--out is required")
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        p.error(f"unknown model(s): {', '.join(unknown)} (see --list)")

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    os.makedirs(args.out, exist_ok=True)
    failed = []
    for name in names:
        folder = os.path.join(args.out, name)
        if is_complete(folder) and not args.force:
            print(f"{name}: up to date in {folder}")
            continue
        tmp = folder + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        start = time.time()
        try:
            ok = build_and_export(name, MODELS[name][0], tmp, args.opset)
        except Exception as e:  # report every model that fails, not only the first
            print(f"{name}: export FAILED: {type(e).__name__}: {e}", file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
            failed.append(name)
            continue
        if not ok:
            print(f"{name}: reference outputs are NaN/Inf or ~0; not kept", file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
            failed.append(name)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
        size = os.path.getsize(os.path.join(folder, "model.onnx"))
        print(f"{name}: wrote {folder}/model.onnx ({size / 1e6:.1f} MB, opset {args.opset}) "
              f"and test_data_set_0 in {time.time() - start:.1f} s")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
