"""Writes golden values from real Keras 3 (TensorFlow backend, CPU) for the C++
Keras-like layers, optimizers, losses, metrics and learning-rate schedules.

Run (from anywhere):  /work/main/.venv-peers/bin/python tests/golden/keras/make_keras_golden.py
The outputs are committed, so the C++ test suite needs neither Python nor Keras.
Everything is deterministic: every case draws its inputs from its own
np.random.RandomState seeded with crc32(case name); inputs are float32
(int32 for labels / indices); scalars are saved as 0-d float32 arrays.

Layout (relative to this directory):

optimizers/<case>/
    var.npy       (3,4) float32  initial variable value
    grads.npy     (5,3,4) float32  gradient of step k (random normal; x3 for sgd_clipnorm)
    expected.npy  (5,3,4) float32  variable after each of the 5 apply_gradients steps
    adam_global_clipnorm additionally has var2.npy (2,), grads2.npy (5,2),
    expected2.npy (5,2): the two variables are updated together (global norm
    over both gradients).
optimizers/README.txt     one line per case: "<case>: <exact Keras constructor>"

schedules/<case>.npy      (20,) float32: schedule(step) for step = 0..19

layers/<case>/
    config.txt            Keras constructor, training flag, input shapes, the
                          weights (index, name, path, shape, trainable)
    x.npy                 input (float32; int32 for embedding)
    w<i>_<name>.npy       weights in layer.weights order, i = 0,1,... and name =
                          variable.name (e.g. w0_kernel.npy, w1_bias.npy); they
                          were set with layer.set_weights to random normal * 0.5
                          (moving_variance: uniform in [0.5, 1.5]) before the call
    y.npy                 layer(x, training=<flag>)
    dy.npy                random upstream gradient, same shape as y
    dx.npy                d sum(y*dy) / dx   (absent for embedding)
    dw<i>_<name>.npy      d sum(y*dy) / d weight i, for each trainable weight
    after_w<i>_<name>.npy non-trainable weights after the call (training=True only)
    multi_head_attention: x.npy is the query, value.npy the value (key = value),
    dvalue.npy the gradient w.r.t. value; call is layer(x, value).

losses/<case>/   y_true.npy, y_pred.npy, loss.npy (scalar, reduction
                 "sum_over_batch_size"), grad.npy (d loss / d y_pred), config.txt

metrics/<case>/  y_true_0.npy, y_pred_0.npy, y_true_1.npy, y_pred_1.npy (two
                 update_state calls; the "mean" case has values_0.npy and
                 values_1.npy instead), result.npy (scalar result() after both),
                 config.txt

initializers/README.txt  formulas and computed limits/stddevs (no .npy files).
"""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import math
import shutil
import zlib

import numpy as np
import tensorflow as tf
import keras

tf.config.set_visible_devices([], "GPU")
HERE = os.path.dirname(os.path.abspath(__file__))


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()) & 0x7FFFFFFF)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def save(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = np.asarray(arr)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    if arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    assert np.all(np.isfinite(arr)) if arr.dtype.kind == "f" else True, path
    np.save(path, arr)


def fresh_dir(d):
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)


# --------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------
OPT = keras.optimizers
SCHED = keras.optimizers.schedules
OPTIMIZER_CASES = [
    ("sgd", "SGD(learning_rate=0.1)"),
    ("sgd_momentum", "SGD(learning_rate=0.1, momentum=0.9)"),
    ("sgd_nesterov", "SGD(learning_rate=0.1, momentum=0.9, nesterov=True)"),
    ("adam", "Adam(learning_rate=0.01)"),
    ("adam_amsgrad", "Adam(learning_rate=0.01, amsgrad=True)"),
    ("adamw", "AdamW(learning_rate=0.01, weight_decay=0.1)"),
    ("rmsprop", "RMSprop(learning_rate=0.01)"),
    ("rmsprop_centered_momentum",
     "RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)"),
    ("adagrad", "Adagrad(learning_rate=0.1)"),
    ("nadam", "Nadam(learning_rate=0.01)"),
    ("sgd_clipnorm", "SGD(learning_rate=0.1, clipnorm=1.0)"),
    ("sgd_clipvalue", "SGD(learning_rate=0.1, clipvalue=0.5)"),
    ("adam_global_clipnorm", "Adam(learning_rate=0.01, global_clipnorm=1.0)"),
    ("adam_schedule",
     "Adam(learning_rate=ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5))"),
]


def make_optimizers():
    root = os.path.join(HERE, "optimizers")
    fresh_dir(root)
    env = {k: getattr(OPT, k) for k in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam"]}
    env["ExponentialDecay"] = SCHED.ExponentialDecay
    lines = ["Keras %s optimizer cases (keras.optimizers.*, schedules from "
             "keras.optimizers.schedules). Each case: var.npy (3,4), grads.npy (5,3,4), "
             "expected.npy (5,3,4) = variable after each of 5 apply_gradients steps."
             % keras.__version__,
             "adam_global_clipnorm also has var2/grads2/expected2 ((2,), (5,2), (5,2)); "
             "both variables are passed to the same apply_gradients call.",
             "sgd_clipnorm grads are random normal * 3 so every step is clipped.", ""]
    for case, ctor in OPTIMIZER_CASES:
        lines.append("%s: %s" % (case, ctor))
        r = rng("opt/" + case)
        var0 = f32(r.randn(3, 4))
        grads = f32(r.randn(5, 3, 4))
        if case == "sgd_clipnorm":
            grads = f32(grads * 3.0)
            assert all(np.linalg.norm(g) > 1.5 for g in grads)
        if case == "sgd_clipvalue":
            assert all(np.abs(g).max() > 0.5 for g in grads)
        two = case == "adam_global_clipnorm"
        if two:
            var20 = f32(r.randn(2))
            grads2 = f32(r.randn(5, 2))
            assert all(np.sqrt(np.sum(grads[k] ** 2) + np.sum(grads2[k] ** 2)) > 1.5
                       for k in range(5))
        opt = eval(ctor, env)
        v = keras.Variable(var0, dtype="float32", name="var")
        vs = [v]
        if two:
            v2 = keras.Variable(var20, dtype="float32", name="var2")
            vs.append(v2)
        exp, exp2 = [], []
        for k in range(5):
            gs = [tf.constant(grads[k])] + ([tf.constant(grads2[k])] if two else [])
            opt.apply_gradients(zip(gs, vs))
            exp.append(np.array(v.numpy()))
            if two:
                exp2.append(np.array(v2.numpy()))
        d = os.path.join(root, case)
        save(os.path.join(d, "var.npy"), var0)
        save(os.path.join(d, "grads.npy"), grads)
        save(os.path.join(d, "expected.npy"), f32(exp))
        if two:
            save(os.path.join(d, "var2.npy"), var20)
            save(os.path.join(d, "grads2.npy"), grads2)
            save(os.path.join(d, "expected2.npy"), f32(exp2))
        assert not np.allclose(exp[-1], var0)
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------
SCHEDULE_CASES = [
    ("exponential_decay", "ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)"),
    ("exponential_decay_staircase",
     "ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5, staircase=True)"),
    ("piecewise_constant",
     "PiecewiseConstantDecay(boundaries=[5, 10], values=[1.0, 0.5, 0.1])"),
    ("cosine_decay", "CosineDecay(0.1, decay_steps=10, alpha=0.1)"),
    ("cosine_decay_warmup",
     "CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)"),
    ("inverse_time_decay", "InverseTimeDecay(0.1, decay_steps=5, decay_rate=0.5)"),
    ("polynomial_decay",
     "PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)"),
]


def make_schedules():
    root = os.path.join(HERE, "schedules")
    fresh_dir(root)
    env = {k: getattr(SCHED, k) for k in ["ExponentialDecay", "PiecewiseConstantDecay",
                                          "CosineDecay", "InverseTimeDecay",
                                          "PolynomialDecay"]}
    lines = ["Keras %s keras.optimizers.schedules; <case>.npy = float32 (20,) "
             "schedule(step) for step 0..19." % keras.__version__, ""]
    for case, ctor in SCHEDULE_CASES:
        s = eval(ctor, env)
        vals = f32([float(np.asarray(s(step))) for step in range(20)])
        save(os.path.join(root, case + ".npy"), vals)
        lines.append("%s: %s" % (case, ctor))
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------
L = keras.layers
LAYER_CASES = [
    # (case, constructor, x shape, training)
    ("dense_relu", 'Dense(5, activation="relu")', (2, 3), False),
    ("dense_3d", "Dense(4)", (2, 3, 6), False),
    ("conv1d", 'Conv1D(4, 3, strides=2, padding="same")', (2, 9, 3), False),
    ("conv2d_same_relu", 'Conv2D(4, 3, padding="same", activation="relu")', (2, 6, 6, 3), False),
    ("conv2d_valid_stride", "Conv2D(5, (3, 2), strides=(2, 1))", (2, 7, 6, 2), False),
    ("conv2d_dilated", 'Conv2D(3, 3, dilation_rate=2, padding="same")', (2, 8, 8, 2), False),
    ("conv3d", "Conv3D(2, 2)", (2, 4, 4, 4, 2), False),
    ("conv2d_transpose", 'Conv2DTranspose(3, 3, strides=2, padding="same")', (2, 4, 4, 2), False),
    ("conv2d_transpose_valid", 'Conv2DTranspose(3, 2, strides=2, padding="valid")', (2, 3, 3, 2), False),
    ("depthwise_conv2d", 'DepthwiseConv2D(3, depth_multiplier=2, padding="same")', (2, 5, 5, 3), False),
    ("separable_conv2d", 'SeparableConv2D(4, 3, padding="same")', (2, 5, 5, 3), False),
    ("max_pooling2d", "MaxPooling2D(2)", (2, 6, 6, 3), False),
    ("max_pooling2d_same_stride1", 'MaxPooling2D(3, strides=1, padding="same")', (2, 5, 5, 2), False),
    ("max_pooling1d", "MaxPooling1D(2)", (2, 8, 3), False),
    ("average_pooling2d", "AveragePooling2D(2)", (2, 6, 6, 3), False),
    ("global_average_pooling2d", "GlobalAveragePooling2D()", (2, 4, 4, 3), False),
    ("global_max_pooling2d", "GlobalMaxPooling2D()", (2, 4, 4, 3), False),
    ("batchnorm_training", "BatchNormalization()", (4, 3, 3, 2), True),
    ("batchnorm_inference", "BatchNormalization()", (4, 3, 3, 2), False),
    ("layernorm", "LayerNormalization()", (2, 3, 5), False),
    ("layernorm_axes", "LayerNormalization(axis=[1, 2])", (2, 3, 4), False),
    ("embedding", "Embedding(10, 4)", (2, 5), False),
    ("zero_padding2d", "ZeroPadding2D(((1, 2), (0, 1)))", (2, 3, 3, 2), False),
    ("flatten", "Flatten()", (2, 3, 2, 2), False),
    ("multi_head_attention", "MultiHeadAttention(num_heads=2, key_dim=3)", (2, 4, 5), False),
    ("dropout_inference", "Dropout(0.5)", (2, 3, 4), False),
]


def make_layers():
    root = os.path.join(HERE, "layers")
    fresh_dir(root)
    for case, ctor, xshape, training in LAYER_CASES:
        r = rng("layer/" + case)
        d = os.path.join(root, case)
        os.makedirs(d)
        layer = eval(ctor, {k: getattr(L, k) for k in dir(L) if not k.startswith("_")})
        is_emb = case == "embedding"
        is_mha = case == "multi_head_attention"
        if is_emb:
            x_np = r.randint(0, 10, size=xshape).astype(np.int32)
        else:
            x_np = f32(r.randn(*xshape))
        value_np = f32(r.randn(2, 6, 5)) if is_mha else None
        # Build (inference-mode call: no moving-statistics update).
        if is_mha:
            layer(x_np, value_np, training=False)
        else:
            layer(x_np, training=False)
        weights = list(layer.weights)
        new_w = []
        for w in weights:
            if w.name == "moving_variance":
                new_w.append(f32(r.uniform(0.5, 1.5, size=tuple(w.shape))))
            else:
                new_w.append(f32(r.randn(*tuple(w.shape)) * 0.5))
        if new_w:
            layer.set_weights(new_w)
        wnames = ["w%d_%s" % (i, w.name) for i, w in enumerate(weights)]
        assert len(set(wnames)) == len(wnames)
        for nm, val in zip(wnames, new_w):
            save(os.path.join(d, nm + ".npy"), val)

        x = tf.constant(x_np)
        value = tf.constant(value_np) if is_mha else None
        train_idx = [i for i, w in enumerate(weights) if w.trainable]
        trainable = [weights[i] for i in train_idx]
        with tf.GradientTape(persistent=True) as tape:
            if not is_emb:
                tape.watch(x)
            if is_mha:
                tape.watch(value)
                y = layer(x, value, training=training)
            else:
                y = layer(x, training=training)
            y_np = np.array(y.numpy())
            dy_np = f32(r.randn(*y_np.shape))
            obj = tf.reduce_sum(y * tf.constant(dy_np))
        save(os.path.join(d, "x.npy"), x_np)
        if is_mha:
            save(os.path.join(d, "value.npy"), value_np)
        save(os.path.join(d, "y.npy"), y_np)
        save(os.path.join(d, "dy.npy"), dy_np)
        if not is_emb:
            dx = tape.gradient(obj, x)
            save(os.path.join(d, "dx.npy"), dx.numpy())
        if is_mha:
            save(os.path.join(d, "dvalue.npy"), tape.gradient(obj, value).numpy())
        if trainable:
            gws = tape.gradient(obj, trainable)
            for i, w, g in zip(train_idx, trainable, gws):
                g = tf.convert_to_tensor(g)  # embedding gives IndexedSlices
                assert tuple(g.shape) == tuple(w.shape)
                save(os.path.join(d, "d" + wnames[i] + ".npy"), g.numpy())
        if training:
            for i, w in enumerate(weights):
                if not w.trainable:
                    after = np.array(w.numpy())
                    assert not np.allclose(after, new_w[i]), (case, w.name)
                    save(os.path.join(d, "after_" + wnames[i] + ".npy"), after)
        else:
            for i, w in enumerate(weights):
                assert np.array_equal(w.numpy(), new_w[i]), (case, w.name)
        del tape

        cfg = ["constructor: keras.layers.%s" % ctor,
               "training: %s" % training,
               "call: %s" % ("layer(x, value, training=%s)  # key = value" % training
                             if is_mha else "layer(x, training=%s)" % training),
               "x: %s %s" % (x_np.dtype, x_np.shape)]
        if is_mha:
            cfg.append("value: %s %s" % (value_np.dtype, value_np.shape))
        cfg.append("y: %s %s" % (y_np.dtype, y_np.shape))
        cfg.append("weights (layer.weights order): index name path shape trainable")
        for i, w in enumerate(weights):
            cfg.append("  %d %s %s %s %s" % (i, w.name, w.path, tuple(w.shape), w.trainable))
        if case.startswith("conv2d_transpose"):
            cfg.append("kernel layout (kh, kw, out_channels, in_channels)")
        if case in ("depthwise_conv2d", "separable_conv2d"):
            cfg.append("depthwise kernel layout (kh, kw, in_channels, depth_multiplier); "
                       "output channel = in_channel * depth_multiplier + m")
        if case == "multi_head_attention":
            cfg.append("scores = einsum(query*1/sqrt(key_dim), key); softmax over the value "
                       "axis; no mask, dropout 0")
        if case == "batchnorm_training":
            cfg.append("momentum=0.99, epsilon=1e-3; after_* are moving stats after the call")
        if case == "batchnorm_inference":
            cfg.append("moving_variance set to uniform [0.5,1.5]; epsilon=1e-3")
        with open(os.path.join(d, "config.txt"), "w") as f:
            f.write("\n".join(cfg) + "\n")


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------
def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def make_losses():
    root = os.path.join(HERE, "losses")
    fresh_dir(root)
    LS = keras.losses
    cases = []

    def add(case, ctor, y_true, y_pred):
        cases.append((case, ctor, y_true, y_pred))

    r = rng("loss/sparse_cce_logits")
    add("sparse_cce_logits", "SparseCategoricalCrossentropy(from_logits=True)",
        r.randint(0, 5, 6).astype(np.int32), f32(r.randn(6, 5) * 2))
    r = rng("loss/sparse_cce_probs")
    add("sparse_cce_probs", "SparseCategoricalCrossentropy()",
        r.randint(0, 5, 6).astype(np.int32), f32(softmax(r.randn(6, 5) * 2)))
    r = rng("loss/cce_logits_smoothing")
    add("cce_logits_smoothing", "CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)",
        f32(np.eye(5)[r.randint(0, 5, 6)]), f32(r.randn(6, 5) * 2))
    r = rng("loss/cce_probs")
    add("cce_probs", "CategoricalCrossentropy()",
        f32(np.eye(5)[r.randint(0, 5, 6)]), f32(softmax(r.randn(6, 5) * 2)))
    r = rng("loss/bce_logits")
    add("bce_logits", "BinaryCrossentropy(from_logits=True)",
        f32(r.randint(0, 2, (6, 1))), f32(r.randn(6, 1) * 2))
    r = rng("loss/bce_probs_smoothing")
    add("bce_probs_smoothing", "BinaryCrossentropy(label_smoothing=0.2)",
        f32(r.randint(0, 2, (6, 1))), f32(1 / (1 + np.exp(-r.randn(6, 1) * 2))))
    for case, ctor in [("mse", "MeanSquaredError()"), ("mae", "MeanAbsoluteError()"),
                       ("huber", "Huber(delta=0.5)")]:
        r = rng("loss/" + case)
        add(case, ctor, f32(r.randn(6, 3)), f32(r.randn(6, 3)))

    env = {k: getattr(LS, k) for k in dir(LS) if not k.startswith("_")}
    for case, ctor, y_true, y_pred in cases:
        loss_fn = eval(ctor, env)
        yp = tf.constant(y_pred)
        with tf.GradientTape() as tape:
            tape.watch(yp)
            loss = loss_fn(tf.constant(y_true), yp)
        grad = tape.gradient(loss, yp).numpy()
        d = os.path.join(root, case)
        save(os.path.join(d, "y_true.npy"), y_true)
        save(os.path.join(d, "y_pred.npy"), y_pred)
        save(os.path.join(d, "loss.npy"), f32(loss.numpy()))
        save(os.path.join(d, "grad.npy"), grad)
        assert np.asarray(loss.numpy()).shape == () and grad.shape == y_pred.shape
        with open(os.path.join(d, "config.txt"), "w") as f:
            f.write("constructor: keras.losses.%s\nreduction: sum_over_batch_size (default)\n"
                    "call: loss_fn(y_true, y_pred)\ny_true: %s %s\ny_pred: %s %s\n"
                    % (ctor, y_true.dtype, y_true.shape, y_pred.dtype, y_pred.shape))


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------
def make_metrics():
    root = os.path.join(HERE, "metrics")
    fresh_dir(root)
    M = keras.metrics
    for case, ctor in [("sparse_categorical_accuracy", "SparseCategoricalAccuracy()"),
                       ("categorical_accuracy", "CategoricalAccuracy()"),
                       ("binary_accuracy", "BinaryAccuracy(threshold=0.5)"),
                       ("accuracy", "Accuracy()"),
                       ("mean", "Mean()"),
                       ("auc", "AUC()")]:
        r = rng("metric/" + case)
        m = eval(ctor, {k: getattr(M, k) for k in dir(M) if not k.startswith("_")})
        d = os.path.join(root, case)
        os.makedirs(d)
        desc = []
        for call in range(2):
            n = 8 if call == 0 else 6
            if case == "sparse_categorical_accuracy":
                yt = r.randint(0, 4, n).astype(np.int32)
                yp = f32(softmax(r.randn(n, 4)))
                yp[: n // 2] = f32(np.eye(4)[yt[: n // 2]] * 0.7 + 0.075)  # some hits
            elif case == "categorical_accuracy":
                lab = r.randint(0, 4, n)
                yt = f32(np.eye(4)[lab])
                yp = f32(softmax(r.randn(n, 4)))
                yp[: n // 2] = f32(yt[: n // 2] * 0.7 + 0.075)
            elif case == "binary_accuracy":
                yt = f32(r.randint(0, 2, (n, 1)))
                yp = f32(r.uniform(0, 1, (n, 1)))
            elif case == "accuracy":
                yt = r.randint(0, 3, n).astype(np.int32)
                yp = r.randint(0, 3, n).astype(np.int32)
            elif case == "auc":
                n = 20
                yt = f32(r.randint(0, 2, n))
                yp = f32(np.clip(0.5 * yt + r.uniform(0, 0.7, n) - 0.1, 0, 1))
            if case == "mean":
                vals = f32(r.randn(n))
                m.update_state(vals)
                save(os.path.join(d, "values_%d.npy" % call), vals)
                desc.append("values_%d: %s %s" % (call, vals.dtype, vals.shape))
            else:
                m.update_state(yt, yp)
                save(os.path.join(d, "y_true_%d.npy" % call), yt)
                save(os.path.join(d, "y_pred_%d.npy" % call), yp)
                desc.append("y_true_%d: %s %s  y_pred_%d: %s %s"
                            % (call, yt.dtype, yt.shape, call, yp.dtype, yp.shape))
        res = f32(m.result().numpy())
        assert res.shape == () and 0 < abs(float(res)) and np.isfinite(res)
        save(os.path.join(d, "result.npy"), res)
        with open(os.path.join(d, "config.txt"), "w") as f:
            f.write("constructor: keras.metrics.%s\ncalls: update_state(y_true_0, y_pred_0); "
                    "update_state(y_true_1, y_pred_1); result()\n%s\n"
                    % (ctor, "\n".join(desc)))


# --------------------------------------------------------------------------
# Initializers (statistics only)
# --------------------------------------------------------------------------
def make_initializers():
    root = os.path.join(HERE, "initializers")
    fresh_dir(root)
    from keras.src.initializers.random_initializers import compute_fans
    T = 0.87962566103423978
    specs = [  # name, scale, mode, distribution
        ("glorot_uniform", 1.0, "fan_avg", "uniform"),
        ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
        ("he_normal", 2.0, "fan_in", "truncated_normal"),
        ("he_uniform", 2.0, "fan_in", "uniform"),
        ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
        ("lecun_uniform", 1.0, "fan_in", "uniform"),
    ]
    out = [
        "Keras %s initializers (keras/src/initializers/random_initializers.py)." % keras.__version__,
        "",
        "compute_fans(shape): rank 0 -> (1,1); rank 1 -> (n,n); rank 2 (a,b) -> fan_in=a, fan_out=b;",
        "  rank>=3 (conv kernel (..., in, out)): rf = prod(shape[:-2]); fan_in = shape[-2]*rf,",
        "  fan_out = shape[-1]*rf.",
        "VarianceScaling(scale, mode, distribution):",
        "  n = max(1, fan_in) | max(1, fan_out) | max(1, (fan_in+fan_out)/2)  for mode fan_in|fan_out|fan_avg",
        "  s = scale / n",
        "  truncated_normal: stddev = sqrt(s) / 0.87962566103423978, samples of N(0, stddev)",
        "                    truncated to [-2*stddev, 2*stddev] (re-drawn), mean 0",
        "  untruncated_normal: stddev = sqrt(s)",
        "  uniform: U(-limit, limit), limit = sqrt(3*s)",
        "glorot_uniform = VarianceScaling(1.0, fan_avg, uniform)       limit = sqrt(6/(fan_in+fan_out))",
        "glorot_normal  = VarianceScaling(1.0, fan_avg, truncated)     stddev = sqrt(2/(fan_in+fan_out))/0.8796...",
        "he_normal      = VarianceScaling(2.0, fan_in, truncated)      stddev = sqrt(2/fan_in)/0.8796...",
        "he_uniform     = VarianceScaling(2.0, fan_in, uniform)        limit = sqrt(6/fan_in)",
        "lecun_normal   = VarianceScaling(1.0, fan_in, truncated)      stddev = sqrt(1/fan_in)/0.8796...",
        "lecun_uniform  = VarianceScaling(1.0, fan_in, uniform)        limit = sqrt(3/fan_in)",
        "orthogonal(gain=1.0): rows = prod(shape[:-1]), cols = shape[-1]; a ~ N(0,1) of shape",
        "  (max(rows,cols), min(rows,cols)); q,r = qr(a); q *= sign(diag(r)); if rows < cols: q = q^T;",
        "  result = gain * reshape(q, shape)  (orthonormal columns if rows >= cols, rows otherwise;",
        "  each element has variance 1/max(rows, cols)).",
        "Layer defaults: Dense/Conv*/MultiHeadAttention kernel_initializer='glorot_uniform', bias 'zeros';",
        "  Embedding embeddings_initializer='uniform' = RandomUniform(-0.05, 0.05);",
        "  BatchNormalization gamma ones, beta zeros, moving_mean zeros, moving_variance ones;",
        "  LayerNormalization gamma ones, beta zeros.",
        "",
    ]
    for shape in [(64, 32), (3, 3, 16, 32)]:
        fi, fo = compute_fans(shape)
        out.append("shape %s: fan_in=%d fan_out=%d" % (shape, fi, fo))
        for name, scale, mode, dist in specs:
            n = {"fan_in": max(1.0, fi), "fan_out": max(1.0, fo),
                 "fan_avg": max(1.0, (fi + fo) / 2.0)}[mode]
            s = scale / n
            if dist == "uniform":
                val = math.sqrt(3.0 * s)
                out.append("  %-15s limit  = %.9g   (element std = limit/sqrt(3) = %.9g)"
                           % (name, val, val / math.sqrt(3)))
            else:
                val = math.sqrt(s) / T
                out.append("  %-15s stddev = %.9g   (pre-truncation; sqrt(s) = %.9g)"
                           % (name, val, math.sqrt(s)))
            # Empirical check against Keras itself.
            init = keras.initializers.get(name)
            sample = np.asarray(init(shape))
            if dist == "uniform":
                assert sample.max() <= val + 1e-6 and sample.max() > 0.95 * val, name
            else:
                assert abs(sample.std() - math.sqrt(s)) < 0.1 * math.sqrt(s), name
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        q = np.asarray(keras.initializers.Orthogonal()(shape)).reshape(rows, cols)
        assert np.allclose(q.T @ q, np.eye(cols), atol=1e-4)
        out.append("  %-15s rows=%d cols=%d -> q^T q = I(%d); element std = sqrt(1/%d) = %.9g"
                   % ("orthogonal", rows, cols, cols, max(rows, cols),
                      math.sqrt(1.0 / max(rows, cols))))
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    np.random.seed(0)
    keras.utils.set_random_seed(0)
    make_optimizers()
    make_schedules()
    make_layers()
    make_losses()
    make_metrics()
    make_initializers()
    print("wrote Keras %s goldens under %s" % (keras.__version__, HERE))
