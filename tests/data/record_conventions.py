"""Record what real frameworks do with padding, for tests/test_schemes.py.

The test suite never runs this script and never imports a framework; it only
reads the JSON this script writes. Each section needs its framework installed,
so run the script once per interpreter, naming the sections it can record:

    /tmp/torchref/bin/python tests/data/record_conventions.py torch
    /tmp/fw/bin/python tests/data/record_conventions.py onnxruntime jax keras
    /tmp/tfenv/bin/python tests/data/record_conventions.py tensorflow

A run rewrites only the sections it names and keeps the others.

Paddings are observed, not read from the framework's arguments: the input is
the ramp 1, 2, ..., i and the kernel is one-hot at tap t, so output j is the
input unit at s*j + d*t - before, or 0 where that tap reads padding. Any nonzero
output gives ``before``; ``after`` is how far the last window reaches past the
input (0 when it ends inside it). When every tap of every window falls on
padding or between input units, no output shows the padding and both are null.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

OUT = Path(__file__).with_name("framework_conventions.json")
SIZES = range(1, 11)
KERNELS = range(1, 5)
STRIDES = range(1, 4)
DILATIONS = range(1, 3)

Conv = Callable[[Sequence[float], Sequence[float], int, int], Sequence[float]]


def observe(conv: Conv, i: int, k: int, s: int, d: int) -> list:
    """[i, k, s, d, output_size, before, after]; the last three are None when the framework refuses."""
    ramp = [float(x + 1) for x in range(i)]
    try:
        outputs = [list(conv(ramp, [float(t == tap) for t in range(k)], s, d)) for tap in range(k)]
    except Exception:  # the framework refuses this configuration
        return [i, k, s, d, None, None, None]
    size = len(outputs[0])
    read = [(s * j + d * tap, round(value)) for tap, out in enumerate(outputs) for j, value in enumerate(out)]
    before = next((position - (value - 1) for position, value in read if value), None)
    if before is None:  # every tap falls between input units (dilation): the padding is unobservable
        return [i, k, s, d, size, None, None]
    for position, value in read:  # every output must agree with that one padding
        expected = position - before + 1 if 0 <= position - before < i else 0
        assert value == expected, (i, k, s, d, position, value, expected)
    after = max(0, s * (size - 1) + d * (k - 1) + 1 - before - i)
    return [i, k, s, d, size, before, after]


def grid(conv: Conv) -> list:
    return [observe(conv, i, k, s, d) for k in KERNELS for s in STRIDES for d in DILATIONS for i in SIZES]


def refusal(call: Callable[[], object]) -> Optional[str]:
    try:
        call()
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return None


# --- PyTorch -----------------------------------------------------------------------

def record_torch() -> dict:
    import torch
    import torch.nn.functional as F

    def same(x, w, s, d):
        return F.conv1d(torch.tensor([[x]]), torch.tensor([[w]]), stride=s, dilation=d, padding="same")[0, 0].tolist()

    pools = []
    for k in KERNELS:
        for s in STRIDES:
            for d in DILATIONS:
                for p in range(0, k // 2 + 1):  # PyTorch wants p <= k / 2
                    for i in SIZES:
                        x = torch.zeros(1, 1, i)
                        try:
                            size = F.max_pool1d(x, k, s, p, d, ceil_mode=True).shape[-1]
                        except RuntimeError:
                            size = None
                        pools.append([i, k, s, d, p, size])

    transposed = []
    for k in KERNELS:
        for s in STRIDES:
            for d in range(1, 4):
                for p in range(0, 2):
                    for a in range(0, max(s, d) + 1):
                        for i_prime in range(1, 5):
                            try:
                                layer = torch.nn.ConvTranspose1d(1, 1, k, s, p, a, dilation=d)
                                size = layer(torch.zeros(1, 1, i_prime)).shape[-1]
                                transposed.append([i_prime, k, s, d, p, a, True, size])
                            except RuntimeError as error:  # refused, or accepted but the output is empty
                                accepted = "output padding must be smaller" not in str(error)
                                transposed.append([i_prime, k, s, d, p, a, accepted, None])
    return {
        "version": torch.__version__,
        "conv1d_same": {
            "call": "F.conv1d(x, w, stride=s, dilation=d, padding='same')",
            "columns": ["i", "k", "s", "d", "output_size", "before", "after"],
            "refusal": refusal(lambda: same([1.0, 2.0, 3.0], [1.0, 0.0], 2, 1)),
            "rows": grid(same),
        },
        "max_pool1d_ceil": {
            "call": "F.max_pool1d(x, k, s, p, d, ceil_mode=True)",
            "columns": ["i", "k", "s", "d", "p", "output_size"],
            "rows": pools,
        },
        "conv_transpose1d": {
            "call": "nn.ConvTranspose1d(1, 1, k, s, p, output_padding, dilation=d)(x)",
            "columns": ["i'", "k", "s", "d", "p", "output_padding", "accepted", "output_size"],
            "note": "accepted: output_padding passed the check; output_size null: the output would be empty",
            "refusal": refusal(lambda: torch.nn.ConvTranspose1d(1, 1, 3, 2, 0, 2)(torch.zeros(1, 1, 3))),
            "rows": transposed,
        },
    }


# --- ONNX Runtime ------------------------------------------------------------------------

def record_onnxruntime() -> dict:
    import numpy as np
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    onnxruntime.set_default_logger_severity(4)  # refusals are recorded, not logged
    sessions: dict = {}

    def conv(auto_pad: str) -> Conv:
        def run(x, w, s, d):
            key = (auto_pad, len(w), s, d)
            if key not in sessions:
                node = helper.make_node("Conv", ["X", "W"], ["Y"], auto_pad=auto_pad, strides=[s], dilations=[d])
                graph = helper.make_graph(
                    [node], "conv",
                    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, "L"]),
                     helper.make_tensor_value_info("W", TensorProto.FLOAT, [1, 1, len(w)])],
                    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1, "M"])])
                model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                model.ir_version = 8  # what every onnxruntime release reads
                sessions[key] = onnxruntime.InferenceSession(model.SerializeToString(),
                                                             providers=["CPUExecutionProvider"])
            feeds = {"X": np.array([[x]], dtype=np.float32), "W": np.array([[w]], dtype=np.float32)}
            return sessions[key].run(None, feeds)[0][0, 0].tolist()
        return run

    def max_pool_ceil(i, k, s, d, p):
        node = helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=[k], strides=[s], dilations=[d],
                                pads=[p, p], ceil_mode=1)
        graph = helper.make_graph([node], "pool", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, i])],
                                  [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(None, {"X": np.zeros((1, 1, i), dtype=np.float32)})[0].shape[-1]

    pools = []
    for k in KERNELS:
        for s in STRIDES:
            for d in DILATIONS:
                for p in range(0, k // 2 + 1):  # as recorded for PyTorch
                    for i in SIZES:
                        try:
                            pools.append([i, k, s, d, p, max_pool_ceil(i, k, s, d, p)])
                        except Exception:  # refused (elsewhere it returns an empty output where PyTorch refuses)
                            pools.append([i, k, s, d, p, None])

    columns = ["i", "k", "s", "d", "output_size", "before", "after"]
    dilated = refusal(lambda: conv("SAME_UPPER")([1.0, 2.0, 3.0], [1.0, 0.0], 1, 2))
    return {
        "version": f"onnxruntime {onnxruntime.__version__}, onnx {onnx.__version__}, opset 17",
        "same_upper": {"call": "Conv(auto_pad='SAME_UPPER', strides=[s], dilations=[d])", "columns": columns,
                       "refusal": dilated, "rows": grid(conv("SAME_UPPER"))},
        "same_lower": {"call": "Conv(auto_pad='SAME_LOWER', strides=[s], dilations=[d])", "columns": columns,
                       "refusal": dilated, "rows": grid(conv("SAME_LOWER"))},
        "max_pool_ceil": {"call": "MaxPool(kernel_shape=[k], strides=[s], dilations=[d], pads=[p, p], ceil_mode=1)",
                          "columns": ["i", "k", "s", "d", "p", "output_size"], "rows": pools},
    }


# --- JAX -------------------------------------------------------------------------------

def record_jax() -> dict:
    import jax
    import jax.numpy as jnp

    def conv(padding: str) -> Conv:
        def run(x, w, s, d):
            out = jax.lax.conv_general_dilated(jnp.array([[x]]), jnp.array([[w]]), (s,), padding, rhs_dilation=(d,))
            return out[0, 0].tolist()
        return run

    columns = ["i", "k", "s", "d", "output_size", "before", "after"]
    return {
        "version": jax.__version__,
        "same": {"call": "lax.conv_general_dilated(x, w, (s,), 'SAME', rhs_dilation=(d,))",
                 "columns": columns, "rows": grid(conv("SAME"))},
        "same_lower": {"call": "lax.conv_general_dilated(x, w, (s,), 'SAME_LOWER', rhs_dilation=(d,))",
                       "columns": columns, "rows": grid(conv("SAME_LOWER"))},
    }


# --- TensorFlow and Keras ------------------------------------------------------------------

def record_tensorflow() -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    def same(x, w, s, d):
        out = tf.nn.convolution(tf.constant([[[v] for v in x]]), tf.constant([[[v]] for v in w]),
                                strides=s, padding="SAME", dilations=d)
        return out.numpy()[0, :, 0].tolist()

    return {
        "version": tf.__version__,
        "same": {"call": "tf.nn.convolution(x, w, strides=s, padding='SAME', dilations=d)",
                 "columns": ["i", "k", "s", "d", "output_size", "before", "after"],
                 "refusal": refusal(lambda: same([1.0, 2.0, 3.0], [1.0, 0.0], 2, 2)), "rows": grid(same)},
    }


def record_keras() -> dict:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    import numpy as np

    rows = []
    for k in KERNELS:
        for s in STRIDES:
            for d in range(1, 4):
                for a in range(0, max(s, d) + 1):
                    for i_prime in range(1, 5):
                        try:
                            layer = keras.layers.Conv1DTranspose(1, k, strides=s, output_padding=a, dilation_rate=d)
                            size = layer(np.zeros((1, i_prime, 1), dtype="float32")).shape[1]
                            rows.append([i_prime, k, s, d, a, True, size])
                        except ValueError:
                            rows.append([i_prime, k, s, d, a, False, None])
    return {
        "version": f"keras {keras.__version__} ({keras.backend.backend()} backend)",
        "conv1d_transpose": {
            "call": "keras.layers.Conv1DTranspose(1, k, strides=s, output_padding=a, dilation_rate=d), padding='valid'",
            "columns": ["i'", "k", "s", "d", "output_padding", "accepted", "output_size"],
            "refusal": refusal(lambda: keras.layers.Conv1DTranspose(1, 3, strides=2, output_padding=2)),
            "rows": rows,
        },
    }


RECORDERS = {"torch": record_torch, "onnxruntime": record_onnxruntime, "jax": record_jax,
             "tensorflow": record_tensorflow, "keras": record_keras}


def dump(value: object, indent: str = "") -> str:
    """JSON with one table row a line, so that a diff shows which case changed."""
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {dump(value[key], inner)}" for key in sorted(value)]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return "[\n" + ",\n".join(inner + json.dumps(row) for row in value) + f"\n{indent}]"
    return json.dumps(value)


def main(names: Sequence[str]) -> None:
    unknown = [name for name in names if name not in RECORDERS]
    if not names or unknown:
        sys.exit(f"usage: record_conventions.py {' '.join(sorted(RECORDERS))} (unknown: {unknown})")
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name in names:
        data[name] = RECORDERS[name]()
        print(f"recorded {name} {data[name]['version']}")
    OUT.write_text(dump(data) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
