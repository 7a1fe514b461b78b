"""Writes the golden .npy files tests/nn_test.cpp reads: TensorFlow's activations, losses,
normalisations, norms and clipping, with their gradients, in float64 on small random inputs.

Run from the repository root with a TensorFlow environment (not needed by the build):
    .venv-peers/bin/python tests/golden/nn/make_nn_golden.py
For each case NAME: NAME.in0.npy, NAME.in1.npy, ... (the inputs), NAME.out.npy (the result;
several results are flattened and concatenated), NAME.dy.npy (the gradient flowing into the
result) and NAME.grad0.npy, ... (the gradients of sum(out * dy) for each float input). The C++
test makes the same call with the same arguments."""
import os

import numpy as np
import tensorflow as tf

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2027)


def u(*shape, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, shape)


def f32(a):
    return a.astype(np.float32)


NO_GRADIENT = {"fused_batch_norm_statistics"}


def flat(*ts):
    return tf.concat([tf.reshape(t, [-1]) for t in ts], 0)


def distribution(*shape, axis=-1):
    e = np.exp(u(*shape))
    return e / e.sum(axis=axis, keepdims=True)


UNSORTED = np.array([0, 2, -1, 2, 1, 0], np.int32)  # -1 dropped; segment 3 empty (sum etc.)
SORTED = np.array([0, 0, 1, 3, 3, 3], np.int32)  # segment 2 empty
with_zeros = u(3, 4)
with_zeros[0, :2] = 0

# name: (inputs, f(*inputs) as TensorFlow computes it)
CASES = {
    "leaky_relu": ([u(3, 4)], lambda x: tf.nn.leaky_relu(x, 0.1)),
    "gelu": ([u(3, 4)], lambda x: tf.nn.gelu(x)),
    "gelu_approximate": ([u(3, 4)], lambda x: tf.nn.gelu(x, approximate=True)),
    "swish_beta": ([u(3, 4)], lambda x: tf.nn.silu(x, beta=1.5)),
    "relu6": ([u(3, 4, lo=-3, hi=9)], tf.nn.relu6),
    "elu": ([u(3, 4)], tf.nn.elu),
    "selu": ([u(3, 4)], tf.nn.selu),
    "softsign": ([u(3, 4)], tf.nn.softsign),
    "log_sigmoid": ([u(3, 4, lo=-30, hi=30)], tf.math.log_sigmoid),
    "hard_sigmoid": ([u(3, 4, lo=-5, hi=5)], tf.keras.activations.hard_sigmoid),
    "softmax_cross_entropy": ([distribution(4, 5), u(4, 5)],
                              lambda l, x: tf.nn.softmax_cross_entropy_with_logits(l, x)),
    "softmax_cross_entropy_axis0": ([distribution(4, 5, axis=0), u(4, 5)],
                                    lambda l, x: tf.nn.softmax_cross_entropy_with_logits(
                                        l, x, axis=0)),
    "sparse_softmax_cross_entropy": ([np.array([0, 4, 2, 1], np.int32), u(4, 5)],
                                     lambda l, x: tf.nn.sparse_softmax_cross_entropy_with_logits(
                                         l, x)),
    "sigmoid_cross_entropy": ([u(3, 4, lo=0, hi=1), u(3, 4, lo=-40, hi=40)],
                              lambda l, x: tf.nn.sigmoid_cross_entropy_with_logits(l, x)),
    "weighted_cross_entropy": ([u(3, 4, lo=0, hi=1), u(3, 4)],
                               lambda l, x: tf.nn.weighted_cross_entropy_with_logits(l, x, 2.5)),
    "log_poisson_loss": ([u(3, 4, lo=0, hi=3), u(3, 4, lo=-2, hi=2)],
                         lambda z, c: tf.nn.log_poisson_loss(z, c)),
    "log_poisson_loss_full": ([u(3, 4, lo=0, hi=3), u(3, 4, lo=-2, hi=2)],
                              lambda z, c: tf.nn.log_poisson_loss(z, c, compute_full_loss=True)),
    "l2_loss": ([u(3, 4)], tf.nn.l2_loss),
    "moments": ([u(2, 3, 4)], lambda x: flat(*tf.nn.moments(x, [0, 2]))),
    "batch_normalization": ([u(2, 3, 4), u(4), u(4, lo=0.5, hi=2), u(4), u(4)],
                            lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3)),
    # float32 only in TensorFlow. Its gradient is the normalised output's alone (the batch
    # statistics it returns are not differentiated), so the statistics are a case of their own.
    "fused_batch_norm": ([f32(u(2, 3, 3, 4)), f32(u(4)), f32(u(4))],
                         lambda x, s, o: tf.compat.v1.nn.fused_batch_norm(
                             x, s, o, epsilon=1e-3, is_training=True)[0]),
    "fused_batch_norm_statistics": ([f32(u(2, 3, 3, 4)), f32(u(4)), f32(u(4)), f32(u(4)),
                                     f32(u(4, lo=0.5, hi=2))],
                                    lambda x, s, o, m, v: flat(*tf.compat.v1.nn.fused_batch_norm(
                                        x, s, o, m, v, epsilon=1e-3, exponential_avg_factor=0.1,
                                        is_training=True)[1:3])),
    "l2_normalize": ([u(3, 4)], lambda x: tf.math.l2_normalize(x, axis=1)),
    "reduce_std": ([u(3, 4)], lambda x: tf.math.reduce_std(x, axis=1)),
    "reduce_variance": ([u(3, 4)], lambda x: tf.math.reduce_variance(x, axis=0, keepdims=True)),
    "reduce_euclidean_norm": ([u(2, 3, 4)],
                              lambda x: tf.math.reduce_euclidean_norm(x, axis=[0, 1])),
    "norm_1": ([u(3, 4)], lambda x: tf.norm(x, ord=1, axis=1)),
    "norm_inf": ([u(3, 4)], lambda x: tf.norm(x, ord=np.inf, axis=0)),
    "norm_euclidean": ([u(3, 4)], lambda x: tf.norm(x)),
    "clip_by_norm": ([u(3, 4)], lambda x: tf.clip_by_norm(x, 1.5, axes=[1])),
    "clip_by_global_norm": ([u(3, 4), u(5)],
                            lambda a, b: flat(*tf.clip_by_global_norm([a, b], 2.0)[0],
                                              tf.clip_by_global_norm([a, b], 2.0)[1])),
    "squared_difference": ([u(3, 4), u(4)], tf.math.squared_difference),
    "divide_no_nan": ([u(3, 4), with_zeros], tf.math.divide_no_nan),
    "xlogy": ([with_zeros, u(3, 4, lo=0.1, hi=3)], tf.math.xlogy),
    "atan2": ([u(3, 4), u(3, 4)], tf.math.atan2),
    "bias_add_nchw": ([u(2, 3, 4, 5), u(3)], lambda x, b: tf.nn.bias_add(x, b, "NCHW")),
    "embedding_lookup": ([u(6, 3), np.array([[5, 0], [2, 2]], np.int32)],
                         lambda p, i: tf.nn.embedding_lookup(p, i)),
    "resize_bilinear_up": ([u(2, 5, 4, 3)], lambda x: tf.image.resize(x, [8, 7])),
    "resize_bilinear_down": ([u(2, 9, 8, 3)], lambda x: tf.image.resize(x, [4, 3])),
    "resize_nearest": ([u(2, 5, 4, 3)], lambda x: tf.image.resize(x, [8, 3], "nearest")),
    "per_image_standardization": ([u(2, 4, 5, 3)], tf.image.per_image_standardization),
    "flip_left_right": ([u(4, 5, 3)], tf.image.flip_left_right),
    "flip_up_down": ([u(2, 4, 5, 3)], tf.image.flip_up_down),
    "sort_axis0": ([u(5, 4)], lambda x: tf.sort(x, axis=0)),
    "sort_descending": ([u(3, 6)], lambda x: tf.sort(x, direction="DESCENDING")),
    "top_k": ([u(3, 6)], lambda x: tf.math.top_k(x, 4).values),
    "unsorted_segment_sum": ([u(6, 3), UNSORTED], lambda d, i: tf.math.unsorted_segment_sum(d, i, 4)),
    "unsorted_segment_mean": ([u(6, 3), UNSORTED],
                              lambda d, i: tf.math.unsorted_segment_mean(d, i, 4)),
    "unsorted_segment_sqrt_n": ([u(6, 3), UNSORTED],
                                lambda d, i: tf.math.unsorted_segment_sqrt_n(d, i, 4)),
    "unsorted_segment_max": ([u(6, 3), UNSORTED],
                             lambda d, i: tf.math.unsorted_segment_max(d, i, 3)),
    "unsorted_segment_min": ([u(6, 3), UNSORTED],
                             lambda d, i: tf.math.unsorted_segment_min(d, i, 3)),
    "segment_sum": ([u(6, 3), SORTED], tf.math.segment_sum),
    "segment_mean": ([u(6, 3), SORTED], tf.math.segment_mean),
    "segment_max": ([u(6, 3), SORTED], tf.math.segment_max),
    "segment_min": ([u(6, 3), SORTED], tf.math.segment_min),
}

for name, (inputs, f) in CASES.items():
    ts = [tf.constant(i) for i in inputs]
    floats = [t for t in ts if t.dtype.is_floating]
    with tf.GradientTape() as tape:
        tape.watch(floats)
        y = f(*ts)
    dy = tf.constant(rng.uniform(-1, 1, y.shape), dtype=y.dtype)
    grads = tape.gradient(y, floats, output_gradients=dy)
    for i, t in enumerate(ts):
        np.save(os.path.join(OUT, f"{name}.in{i}.npy"), t.numpy())
    np.save(os.path.join(OUT, f"{name}.out.npy"), y.numpy())
    np.save(os.path.join(OUT, f"{name}.dy.npy"), dy.numpy())
    k = 0
    for i, t in enumerate(ts if name not in NO_GRADIENT else []):
        if t.dtype.is_floating:
            if grads[k] is not None:
                np.save(os.path.join(OUT, f"{name}.grad{i}.npy"), tf.convert_to_tensor(grads[k]).numpy())
            k += 1
    print(name, [tuple(t.shape) for t in ts], "->", tuple(y.shape))
