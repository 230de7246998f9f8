#!/usr/bin/python3
"""Exports the model zoo to ONNX, with reference inputs and outputs, for end-to-end checks.

Every model gets random weights from a fixed seed (nothing is downloaded), float32, and a
calibration step so that its outputs have a meaningful magnitude: norm layers get non-trivial
affine parameters, BatchNorm running statistics are measured on a few random batches in train
mode, then the model is put in eval mode. For each model NAME the script writes

  OUT/NAME/model.onnx
  OUT/NAME/test_data_set_0/input_N.pb    the example inputs (float images/features, int64 ids)
  OUT/NAME/test_data_set_0/output_N.pb   PyTorch's own outputs for them

which is the layout of the ONNX backend tests, so `parallax-run model.onnx --inputs
test_data_set_0 --compare` checks it. A model whose folder is complete is skipped (the folder
is written under a temporary name and renamed at the end, so a complete folder is a finished
one); --force re-exports.

Models belong to groups: "cnn" (torchvision classifiers), "paper" (the five models of the
Parallax paper, as architecture replicas in scripts/zoo/) and "test" (small models for quick
tests). --models takes model names and group names (cnn, paper, test, all), comma-separated.

Usage:
  export_models.py --out build/models                        # every registered model
  export_models.py --out build/models --models paper,resnet18
  export_models.py --list [--models cnn] [--json]

Adding a model: write a builder returning (module, make_inputs) where make_inputs(batch) gives
a tuple of random example inputs, and register it in MODELS. The builder runs under a fixed
seed and must be deterministic for it.
"""
import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo.common import randomize_norms  # noqa: E402

DEFAULT_OPSET = 13
SEED = 20240611
GROUPS = ("cnn", "paper", "test")


@dataclass(frozen=True)
class ZooModel:
    group: str
    description: str
    build: Callable[[], Tuple[nn.Module, Callable[[int], tuple]]]
    opset: int = DEFAULT_OPSET
    input_names: Optional[Tuple[str, ...]] = None   # default: input / input_N
    output_names: Optional[Tuple[str, ...]] = None  # default: output (one output)


# ---- model builders: each returns (module, make_inputs) ----

def _torchvision(name, size=224, **kwargs):
    def build():
        import torchvision.models as tvm
        return (getattr(tvm, name)(weights=None, **kwargs),
                lambda n: (torch.randn(n, 3, size, size),))
    return build


def _zoo(module, builder="build"):
    """A builder from scripts/zoo/<module>.py, imported only when the model is exported."""
    def build():
        import importlib
        return getattr(importlib.import_module(f"zoo.{module}"), builder)()
    return build


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
    return TransformerClassifier(), lambda n: (torch.randn(n, 16, 64),)


def _cnn(builder, description):
    return ZooModel("cnn", description, builder)


MODELS = {
    # torchvision CNNs at their usual input size.
    "resnet18": _cnn(_torchvision("resnet18"), "torchvision ResNet-18, 1x3x224x224"),
    "mobilenet_v2": _cnn(_torchvision("mobilenet_v2"), "torchvision MobileNetV2, 1x3x224x224"),
    "mobilenet_v3_small": _cnn(_torchvision("mobilenet_v3_small"),
                               "torchvision MobileNetV3-Small, 1x3x224x224"),
    "squeezenet1_1": _cnn(_torchvision("squeezenet1_1"),
                          "torchvision SqueezeNet 1.1, 1x3x224x224"),
    "googlenet": _cnn(_torchvision("googlenet", aux_logits=False, init_weights=True),
                      "torchvision GoogLeNet (Inception v1, no aux heads), 1x3x224x224"),
    "inception_v3": _cnn(_torchvision("inception_v3", 299, aux_logits=False, init_weights=True),
                         "torchvision Inception v3 (no aux head), 1x3x299x299"),
    "densenet121": _cnn(_torchvision("densenet121"), "torchvision DenseNet-121, 1x3x224x224"),
    "shufflenet_v2_x1_0": _cnn(_torchvision("shufflenet_v2_x1_0"),
                               "torchvision ShuffleNetV2 x1.0, 1x3x224x224"),
    "efficientnet_b0": _cnn(_torchvision("efficientnet_b0"),
                            "torchvision EfficientNet-B0, 1x3x224x224"),
    # The five models of the Parallax paper, as architecture replicas (scripts/zoo/).
    "yolov8n": ZooModel("paper", "YOLOv8n detector replica, 1x3x640x640 -> 1x84x8400",
                        _zoo("yolov8n"), 13, ("images",), ("output0",)),
    "whisper_tiny_encoder": ZooModel(
        "paper", "Whisper-Tiny encoder replica, mel 1x80x3000 -> 1x1500x384",
        _zoo("whisper", "build_encoder"), 17, ("mel",), ("audio_features",)),
    "whisper_tiny_decoder": ZooModel(
        "paper", "Whisper-Tiny decoder replica, 16 tokens + audio features -> 1x16x51865 logits",
        _zoo("whisper", "build_decoder"), 17, ("tokens", "audio_features"), ("logits",)),
    "swin_v2_t": ZooModel("paper", "torchvision SwinV2-Tiny, exportable attention, 1x3x224x224",
                          _zoo("swin"), 17, ("input",), ("output",)),
    "clip_text": ZooModel("paper", "CLIP ViT-B/32 text encoder replica, 1x77 ids -> 1x512",
                          _zoo("clip_text"), 17, ("input_ids",), ("text_embeds",)),
    "distilbert": ZooModel(
        "paper", "DistilBERT-base classifier replica, ids + mask 1x128 -> 1x2 logits",
        _zoo("distilbert"), 17, ("input_ids", "attention_mask"), ("logits", "last_hidden_state")),
    # Small models for quick tests.
    "transformer_encoder": ZooModel(
        "test", "2-layer nn.TransformerEncoder (d_model 64, 4 heads) + Linear, 1x16x64",
        _transformer_encoder),
    "cross_attention": ZooModel(
        "test", "two cross-attentions, 8 queries over 300 memory rows (width 64, 4 heads), batch 2",
        _zoo("cross_attention"), 17, ("queries", "memory"), ("y",)),
}


def select(spec):
    """Model names for a comma-separated list of model and group names, in registry order."""
    wanted = set()
    for item in (s for s in spec.split(",") if s):
        if item == "all":
            wanted.update(MODELS)
        elif item in GROUPS:
            wanted.update(n for n, m in MODELS.items() if m.group == item)
        elif item in MODELS:
            wanted.add(item)
        else:
            raise KeyError(item)
    return [n for n in MODELS if n in wanted]


# ---- calibration, export, test data (also used by make_example_model.py) ----

def calibrate(model, inputs, batches=4, batch_size=4):
    """Gives norm layers non-trivial affine parameters and realistic BatchNorm statistics.

    inputs is make_inputs(batch) or a tuple of example tensors (random batches of their shape).
    Random-init BatchNorm has mean 0 / var 1 running stats, which in eval mode lets activations
    grow or vanish layer after layer; measuring them on random batches in train mode (cumulative
    average: momentum None) keeps every layer's output near unit scale. Ends in eval mode.
    """
    if not callable(inputs):
        shapes = [(x.shape[1:], x.dtype) for x in inputs]
        inputs = lambda n: tuple(torch.randn(n, *s, dtype=t) for s, t in shapes)  # noqa: E731
    randomize_norms(model)
    batch_norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for m in batch_norms:
            m.reset_running_stats()
            m.momentum = None
        if batch_norms:
            model.train()
            for _ in range(batches):
                model(*inputs(batch_size))
    model.eval()
    return model


def _outputs_tuple(y):
    if isinstance(y, torch.Tensor):
        return (y,)
    return tuple(y)


def export(model, example_inputs, path, opset=DEFAULT_OPSET, input_names=None,
           output_names=None):
    """Exports model to path and returns (input names, output names, reference outputs).

    The reference outputs are the values PyTorch computes while tracing the model for export
    (captured by a forward hook): the trace runs the model once on example_inputs anyway,
    and a second forward would double the cost of the larger models.
    """
    import onnx
    captured = []
    hook = model.register_forward_hook(lambda m, i, o: captured.append(_outputs_tuple(o)))
    input_names = list(input_names or ["input" if len(example_inputs) == 1 else f"input_{i}"
                                       for i in range(len(example_inputs))])
    output_names = list(output_names or ["output"])
    # Traced with autograd on: under no_grad nn.TransformerEncoderLayer takes its fused fast
    # path (aten::_transformer_encoder_layer_fwd), which has no ONNX export.
    try:
        torch.onnx.export(model, example_inputs, path, opset_version=opset,
                          do_constant_folding=True, input_names=input_names,
                          output_names=output_names)
    finally:
        hook.remove()
    if len(captured) != 1:
        raise RuntimeError(f"expected one forward while tracing, saw {len(captured)}")
    outputs = [y.detach().numpy() for y in captured[0]]
    if len(outputs) != len(output_names):
        raise ValueError(f"the model has {len(outputs)} outputs: name them (output_names)")
    onnx.checker.check_model(path)  # by path: models over 2 GB of protobuf would not load
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


def build_and_export(name, spec, target, opset=None):
    """Builds, calibrates and exports one model into target (a fresh folder)."""
    torch.manual_seed(SEED)
    model, make_inputs = spec.build()
    model = calibrate(model.float(), make_inputs)
    # The reference inputs come from their own seed so they do not depend on the calibration.
    torch.manual_seed(SEED + 1)
    example_inputs = make_inputs(1)
    os.makedirs(target)
    input_names, output_names, outputs = export(
        model, example_inputs, os.path.join(target, "model.onnx"), opset or spec.opset,
        spec.input_names, spec.output_names)
    data = os.path.join(target, "test_data_set_0")
    write_test_data(data, input_names, [x.numpy() for x in example_inputs], "input")
    write_test_data(data, output_names, outputs, "output")
    return check_scale(name, outputs)


def is_complete(folder):
    data = os.path.join(folder, "test_data_set_0")
    return (os.path.isfile(os.path.join(folder, "model.onnx"))
            and os.path.isfile(os.path.join(data, "input_0.pb"))
            and os.path.isfile(os.path.join(data, "output_0.pb")))


def export_one(name, out, opset, force):
    """Exports one model unless its folder is complete; returns False on failure."""
    folder = os.path.join(out, name)
    if is_complete(folder) and not force:
        print(f"{name}: up to date in {folder}")
        return True
    tmp = folder + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    start = time.time()
    try:
        ok = build_and_export(name, MODELS[name], tmp, opset)
    except Exception as e:  # report every model that fails, not only the first
        print(f"{name}: export FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    if not ok:
        print(f"{name}: reference outputs are NaN/Inf or ~0; not kept", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    size = os.path.getsize(os.path.join(folder, "model.onnx"))
    print(f"{name}: wrote {folder}/model.onnx ({size / 1e6:.1f} MB, opset "
          f"{opset or MODELS[name].opset}) and test_data_set_0 in {time.time() - start:.1f} s",
          flush=True)
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="build/models",
                   help="folder that receives one sub-folder per model (default build/models)")
    p.add_argument("--models", default="all",
                   help="comma-separated model and group names: " + ", ".join(GROUPS)
                   + ", all (default)")
    p.add_argument("--opset", type=int, help="override every model's own opset")
    p.add_argument("--force", action="store_true", help="re-export models that exist already")
    p.add_argument("--list", action="store_true", help="list the selected models and exit")
    p.add_argument("--json", action="store_true",
                   help="with --list: print [{name, group, description, opset}] as JSON")
    p.add_argument("--threads", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                   help="torch CPU threads for calibration and reference outputs")
    args = p.parse_args()

    try:
        names = select(args.models)
    except KeyError as e:
        p.error(f"unknown model or group {e} (see --list)")
    if args.list:
        if args.json:
            print(json.dumps([{"name": n, "group": MODELS[n].group,
                               "description": MODELS[n].description,
                               "opset": MODELS[n].opset} for n in names], indent=1))
        else:
            for n in names:
                print(f"{n:22} {MODELS[n].group:6} {MODELS[n].description}")
        return 0

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    failed = [n for n in names if not export_one(n, args.out, args.opset, args.force)]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
