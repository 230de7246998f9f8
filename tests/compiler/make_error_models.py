#!/usr/bin/python3
"""Writes the broken models the compiler's error-case tests feed to parallax-run.

Usage: make_error_models.py OUT_DIR

Each model is small and broken in exactly one way; tests/compiler/CMakeLists.txt names the
exit code and the message each one must produce.
"""
import os
import sys

import numpy as np

np.float, np.int, np.bool, np.object = float, int, bool, object  # onnx 1.12 needs the aliases
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402


def model(nodes, inputs, outputs, initializers=(), opset=17, extra_opsets=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(graph, opset_imports=opsets, producer_name="parallax-tests")


def vec(name, n=2):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [n])


def external_weight(location):
    w = helper.make_tensor("w", TensorProto.FLOAT, [2], [0.0, 0.0])
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    entry = w.external_data.add()
    entry.key, entry.value = "location", location
    return model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [vec("x")], [vec("y")], [w])


def main(out):
    os.makedirs(out, exist_ok=True)
    good = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vec("x")], [vec("y")])
    data = good.SerializeToString()
    models = {
        "truncated.onnx": data[: len(data) // 2],
        "random_bytes.onnx": bytes(np.random.RandomState(7).randint(0, 256, 300).astype(np.uint8)),
        "cycle.onnx": model(
            [helper.make_node("Add", ["x", "b"], ["a"], name="n_a"),
             helper.make_node("Relu", ["a"], ["b"], name="n_b"),
             helper.make_node("Identity", ["a"], ["y"], name="n_y")],
            [vec("x")], [vec("y")]),
        "dangling.onnx": model(
            [helper.make_node("Add", ["x", "foo"], ["y"], name="n3")], [vec("x")], [vec("y")]),
        "missing_initializer.onnx": model(
            [helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])]),
        "opset5.onnx": model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                             [vec("x")], [vec("y")], opset=5),
        "two_unsupported.onnx": model(
            [helper.make_node("Foo", ["x"], ["t"], name="a", domain="com.example"),
             helper.make_node("Bar", ["t"], ["y"], name="b", domain="com.example")],
            [vec("x")], [vec("y")], extra_opsets=[("com.example", 1)]),
        "external_dotdot.onnx": external_weight("../weights.bin"),
        "external_absolute.onnx": external_weight("/etc/passwd"),
    }
    for name, m in models.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(m if isinstance(m, bytes) else m.SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
