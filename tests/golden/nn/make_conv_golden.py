"""Writes the golden .npy files tests/conv_test.cpp reads: TensorFlow's convolutions and their
gradients on small random shapes (odd sizes, strides, dilations, SAME/VALID/explicit padding,
NCHW, groups).

Run from the repository root with a TensorFlow environment (not needed by the build):
    .venv-peers/bin/python tests/golden/nn/make_conv_golden.py
For each case NAME it writes NAME.x.npy, NAME.w.npy (the filter), NAME.dy.npy (the gradient
that flows into the result), NAME.y.npy (the result), NAME.dx.npy and NAME.dw.npy (the
gradients of sum(y * dy)). The C++ test makes the same call with the same arguments."""
import os

import numpy as np
import tensorflow as tf

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026)


def nchw(t):
    return tf.transpose(t, [0, 3, 1, 2])


def nhwc(t):
    return tf.transpose(t, [0, 2, 3, 1])


def grouped_conv2d(x, w, strides, padding, groups):
    """TensorFlow's CPU kernels lack grouped convolutions: each group convolved alone."""
    xs = tf.split(x, groups, axis=3)
    ws = tf.split(w, groups, axis=3)
    return tf.concat([tf.nn.conv2d(a, b, strides, padding) for a, b in zip(xs, ws)], axis=3)


# name: (x shape, w shape, f(x, w) as TensorFlow computes it)
CASES = {
    "conv2d_same": ((2, 5, 6, 3), (3, 3, 3, 4), lambda x, w: tf.nn.conv2d(x, w, 1, "SAME")),
    "conv2d_valid_strided": ((2, 7, 8, 3), (3, 2, 3, 5),
                             lambda x, w: tf.nn.conv2d(x, w, [2, 3], "VALID")),
    "conv2d_same_strided": ((2, 7, 8, 3), (3, 3, 3, 2),
                            lambda x, w: tf.nn.conv2d(x, w, 2, "SAME")),
    "conv2d_dilated": ((1, 9, 9, 2), (3, 3, 2, 3),
                       lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2)),
    "conv2d_explicit": ((2, 6, 5, 3), (2, 3, 3, 2),
                        lambda x, w: tf.nn.conv2d(x, w, 2, [[0, 0], [1, 2], [0, 1], [0, 0]])),
    # NCHW in and out (TensorFlow's CPU conv2d is NHWC only: computed there and transposed).
    "conv2d_nchw": ((2, 3, 5, 6), (3, 3, 3, 4),
                    lambda x, w: nchw(tf.nn.conv2d(nhwc(x), w, 2, "SAME"))),
    "conv2d_grouped": ((1, 5, 5, 4), (3, 3, 2, 6),
                       lambda x, w: grouped_conv2d(x, w, 1, "SAME", 2)),
    "conv1d_same_strided": ((2, 11, 3), (4, 3, 2), lambda x, w: tf.nn.conv1d(x, w, 2, "SAME")),
    "conv3d_valid": ((1, 5, 6, 4, 2), (2, 3, 2, 2, 3),
                     lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "VALID")),
    "conv3d_same_strided": ((1, 5, 6, 4, 2), (3, 3, 3, 2, 2),
                            lambda x, w: tf.nn.conv3d(x, w, [1, 2, 2, 2, 1], "SAME")),
    "depthwise_same_strided": ((2, 7, 7, 3), (3, 3, 3, 2),
                               lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME")),
    "conv2d_transpose_same": ((2, 4, 4, 5), (3, 3, 3, 5),
                              lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 8, 8, 3], 2, "SAME")),
    "conv2d_transpose_valid": ((2, 4, 4, 5), (3, 3, 3, 5),
                               lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 9, 9, 3], 2,
                                                                   "VALID")),
}

for name, (x_shape, w_shape, f) in CASES.items():
    x = tf.constant(rng.uniform(-1, 1, x_shape).astype(np.float32))
    w = tf.constant(rng.uniform(-1, 1, w_shape).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = f(x, w)
    dy = tf.constant(rng.uniform(-1, 1, y.shape).astype(np.float32))
    dx, dw = tape.gradient(y, [x, w], output_gradients=dy)
    for suffix, value in [("x", x), ("w", w), ("dy", dy), ("y", y), ("dx", dx), ("dw", dw)]:
        np.save(os.path.join(OUT, f"{name}.{suffix}.npy"), value.numpy())
    print(f"{name}: x {x_shape} w {w_shape} -> y {tuple(y.shape)}")
