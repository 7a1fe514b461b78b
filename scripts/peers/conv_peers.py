#!/usr/bin/env python3
"""tfjit-bench's conv section (tools/bench_conv.cpp) in TensorFlow and PyTorch: conv2d on ResNet's
shapes (batch 32, stride 1, SAME), the forward pass and a training step's three convolutions
(forward, input gradient, filter gradient of sum(y * dy)), with the same wave() data.

Optional (needs the .venv-peers environment of run_peers.sh). Threads: PEERS_THREADS (default 1).
  .venv-peers/bin/python scripts/peers/conv_peers.py [--json]
TensorFlow runs NHWC (its CPU convolutions are NHWC only) inside tf.function; PyTorch runs NCHW
tensors in channels_last memory (NHWC in memory, as tfjit's) eagerly, its usual training mode.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import wave  # noqa: E402
from peers import time_us  # noqa: E402

SHAPES = [(32, 56, 64, 64, 3), (32, 28, 128, 128, 3), (32, 7, 512, 512, 1)]  # n, size, in, out, k


def name(s):
    n, size, cin, cout, k = s
    return f"conv2d {size}x{size}x{cin} {k}x{k}x{cout} b{n}"


def data(s):
    n, size, cin, cout, k = s
    return (wave((n, size, size, cin), 1.0, 0.1), wave((k, k, cin, cout), 0.05, 0.2),
            wave((n, size, size, cout), 1.0, 0.3))


def bench_tf(rows, threads):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    for s in SHAPES:
        x, w, dy = (tf.constant(a) for a in data(s))
        fwd = tf.function(lambda a, b: tf.nn.conv2d(a, b, 1, "SAME"))

        @tf.function
        def step(a, b, g):
            with tf.GradientTape() as tape:
                tape.watch([a, b])
                y = tf.nn.conv2d(a, b, 1, "SAME")
            return [y] + tape.gradient(y, [a, b], output_gradients=g)
        rows.append((name(s) + " forward", "tensorflow tf.function", time_us(lambda: fwd(x, w), 5)))
        rows.append((name(s) + " fwd+bwd", "tensorflow tf.function",
                     time_us(lambda: step(x, w, dy), 5)))


def bench_torch(rows, threads):
    import torch
    torch.set_num_threads(threads)
    for s in SHAPES:
        x0, w0, dy0 = data(s)
        cl = torch.channels_last
        x = torch.from_numpy(x0).permute(0, 3, 1, 2).contiguous(memory_format=cl)
        w = torch.from_numpy(w0).permute(3, 2, 0, 1).contiguous(memory_format=cl)
        dy = torch.from_numpy(dy0).permute(0, 3, 1, 2).contiguous(memory_format=cl)

        def fwd():
            with torch.no_grad():
                return torch.nn.functional.conv2d(x, w, padding="same")

        def step():
            a, b = x.detach().requires_grad_(), w.detach().requires_grad_()
            y = torch.nn.functional.conv2d(a, b, padding="same")
            y.backward(dy)
            return y, a.grad, b.grad
        rows.append((name(s) + " forward", "torch eager (channels_last)", time_us(fwd, 5)))
        rows.append((name(s) + " fwd+bwd", "torch eager (channels_last)", time_us(step, 5)))


def main():
    threads = int(os.environ.get("PEERS_THREADS", "1"))
    rows = []
    for bench in (bench_tf, bench_torch):
        print(f"[conv_peers] {bench.__name__}...", file=sys.stderr, flush=True)
        bench(rows, threads)
    if "--json" in sys.argv:
        json.dump([dict(workload=w, framework=f, us=us, threads=threads) for w, f, us in rows],
                  sys.stdout, indent=1)
        print()
        return
    for w, f, us in rows:
        print(f"{w:40} {f:30} {us / 1000:10.2f} ms")


if __name__ == "__main__":
    main()
