"""Writes the golden .npy files tests/scatter_test.cpp reads: TensorFlow's scatter, gather_nd,
segment and bincount ops with their gradients, in float64 on small random inputs (duplicate
indices included; no ties where max / min gradients would be ambiguous, but one deliberate tie).

Run from the repository root with a TensorFlow environment (not needed by the build):
    .venv-peers/bin/python tests/golden/scatter/make_scatter_golden.py
For each case NAME: NAME.in0.npy, ... (the inputs), NAME.out.npy, NAME.dy.npy (the gradient
flowing into the result) and NAME.grad<i>.npy for each float input i (the gradient of
sum(out * dy)). The C++ test makes the same call with the same arguments."""
import os

import numpy as np
import tensorflow as tf

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2028)


def u(*shape, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, shape)


I1 = np.array([[3], [0], [3], [5], [1]], np.int32)  # rows of a (6, 4) tensor; 3 twice
I2 = np.array([[[1, 2], [0, 0]], [[1, 2], [2, 1]]], np.int64)  # (2, 2, 2) into a (3, 4, 2) tensor
IDS = np.array([0, 2, -1, 2, 1, 0, 2], np.int32)  # -1 dropped; segment 3 empty
with_zeros = u(7, 3)
with_zeros[0, 0] = 0  # segment 0 column 0: one zero
with_zeros[1, 1] = 0  # segment 2 column 1: two zeros
with_zeros[3, 1] = 0
tie = u(6, 4)
tie[3, 2] = 9.0  # the tensor's element and the update into it are equal: a tie
tie_updates = u(5, 4)
tie_updates[0, 2] = 9.0

CASES = {
    "tensor_scatter_nd_update": ([u(6, 4), I1, u(5, 4)], tf.tensor_scatter_nd_update),
    "tensor_scatter_nd_add": ([u(6, 4), I1, u(5, 4)], tf.tensor_scatter_nd_add),
    "tensor_scatter_nd_sub": ([u(6, 4), I1, u(5, 4)], tf.tensor_scatter_nd_sub),
    "tensor_scatter_nd_max": ([u(6, 4), I1, u(5, 4)], tf.tensor_scatter_nd_max),
    "tensor_scatter_nd_min": ([u(6, 4), I1, u(5, 4)], tf.tensor_scatter_nd_min),
    "tensor_scatter_nd_max_tie": ([tie, I1, tie_updates], tf.tensor_scatter_nd_max),
    "tensor_scatter_nd_add_depth2": ([u(3, 4, 2), I2, u(2, 2, 2)], tf.tensor_scatter_nd_add),
    "tensor_scatter_nd_update_depth2": ([u(3, 4, 2), I2[:1, :1], u(1, 1, 2)],
                                        tf.tensor_scatter_nd_update),
    "scatter_nd": ([I2, u(2, 2, 2)], lambda i, x: tf.scatter_nd(i, x, [3, 4, 2])),
    "gather_nd": ([u(3, 4, 2), I2], tf.gather_nd),
    "gather_nd_rows": ([u(6, 4), I1], tf.gather_nd),
    "unsorted_segment_prod": ([with_zeros, IDS],
                              lambda d, i: tf.math.unsorted_segment_prod(d, i, 4)),
    "unsorted_segment_sum_2d_ids": ([u(2, 3, 2), np.array([[0, 1, 1], [-1, 0, 2]], np.int32)],
                                    lambda d, i: tf.math.unsorted_segment_sum(d, i, 3)),
    "unsorted_segment_max_2d_ids": ([u(2, 3, 2), np.array([[0, 1, 1], [-1, 0, 2]], np.int32)],
                                    lambda d, i: tf.math.unsorted_segment_max(d, i, 3)),
    "bincount": ([np.array([1, 1, 4, 0, 7, 4, 4], np.int32)], lambda a: tf.math.bincount(a)),
    "bincount_weights": ([np.array([[1, 1, 4], [0, 7, 4]], np.int32), u(2, 3)],
                         lambda a, w: tf.math.bincount(a, w, minlength=9)),
    "bincount_maxlength": ([np.array([1, 1, 4, 0, 7, 4, 4], np.int64)],
                           lambda a: tf.math.bincount(a, maxlength=5, dtype=tf.float32)),
    "bincount_binary": ([np.array([1, 1, 4, 0, 7, 4, 4], np.int32)],
                        lambda a: tf.math.bincount(a, minlength=3, binary_output=True)),
}

for name, (inputs, f) in CASES.items():
    ts = [tf.constant(i) for i in inputs]
    floats = [t for t in ts if t.dtype.is_floating]
    with tf.GradientTape() as tape:
        tape.watch(floats)
        y = f(*ts)
    for i, t in enumerate(ts):
        np.save(os.path.join(OUT, f"{name}.in{i}.npy"), t.numpy())
    np.save(os.path.join(OUT, f"{name}.out.npy"), y.numpy())
    if y.dtype.is_floating and floats and not name.startswith("bincount"):  # no gradient in TF
        dy = tf.constant(rng.uniform(-1, 1, y.shape), dtype=y.dtype)
        grads = tape.gradient(y, floats, output_gradients=dy)
        np.save(os.path.join(OUT, f"{name}.dy.npy"), dy.numpy())
        k = 0
        for i, t in enumerate(ts):
            if t.dtype.is_floating:
                if grads[k] is not None:
                    np.save(os.path.join(OUT, f"{name}.grad{i}.npy"),
                            tf.convert_to_tensor(grads[k]).numpy())
                k += 1
    print(name, [tuple(t.shape) for t in ts], "->", tuple(y.shape))
