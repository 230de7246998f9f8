#!/usr/bin/python3
"""Writes the bundled example model, examples/tiny_branchy/, with its reference test data.

tiny_branchy is a small image classifier (input 1x3x32x32, 10 classes) built to exercise
branch-level parallelism: after a conv stem comes an Inception-like block of three parallel
branches -- a 1x1 conv, a 3x3 conv, and a 3x3 max pool followed by a 1x1 conv -- whose outputs
are concatenated, then BatchNorm, ReLU, global average pool, a Linear layer (Gemm) and softmax.
Weights are random from a fixed seed and calibrated like the exported zoo models (see
export_models.py), so running this script again rewrites identical tensors.

Usage:
  scripts/make_example_model.py [--out examples/tiny_branchy]
"""
import argparse
import os
import shutil
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import calibrate, check_scale, export, write_test_data  # noqa: E402

SEED = 7


def conv_bn_relu(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class TinyBranchy(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_relu(3, 16, 3), nn.MaxPool2d(2))  # -> 16x16x16
        self.branch_1x1 = nn.Conv2d(16, 16, 1)
        self.branch_3x3 = nn.Conv2d(16, 24, 3, padding=1)
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(16, 8, 1))
        self.post = nn.Sequential(nn.BatchNorm2d(48), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.branch_1x1(x), self.branch_3x3(x), self.branch_pool(x)], dim=1)
        x = self.pool(self.post(x)).flatten(1)
        return torch.softmax(self.fc(x), dim=1)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(root, "examples", "tiny_branchy"))
    args = p.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # one thread: reductions in a fixed order, identical outputs
    model = TinyBranchy()
    # Softmax of near-equal logits is ~0.1 everywhere and would hide errors; scaling the head
    # spreads the logits so the probabilities differ clearly.
    with torch.no_grad():
        model.fc.weight.mul_(4.0)
    example = (torch.randn(1, 3, 32, 32),)
    model = calibrate(model, example)
    torch.manual_seed(SEED + 1)
    example = (torch.randn(1, 3, 32, 32),)

    data = os.path.join(args.out, "test_data_set_0")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.onnx")
    input_names, output_names, outputs = export(model, example, path, opset=13)
    write_test_data(data, input_names, [x.numpy() for x in example], "input")
    write_test_data(data, output_names, outputs, "output")
    if not check_scale("tiny_branchy", outputs):
        print("tiny_branchy: reference outputs are NaN/Inf or ~0", file=sys.stderr)
        return 1
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and {data}/")
    print("  probabilities:", " ".join(f"{v:.3f}" for v in outputs[0].ravel()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
