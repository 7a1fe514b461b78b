"""The training steps of tools/workloads.h in TensorFlow, JAX and PyTorch (peers.py runs them).

Same models, data, initial values and SGD update as tfjit-bench's "models" section: wave() and
one_hot_targets() reproduce tools/workloads.h exactly, so the first losses of every framework
must equal tfjit's (each row's note carries them; the side-by-side table compares them).
"""
import numpy as np

LR = 0.01  # workloads::Model::learning_rate
CHECKED_STEPS = 3  # losses recorded before timing, as tools/bench_models.cpp
MLP_SMALL = ((784, 512, 512, 10), 128, 50)  # sizes, batch, timed iterations per batch
MLP_WIDE = ((1024, 2048, 2048, 1024), 512, 3)
TRANSFORMER = dict(batch=8, seq=128, width=256, heads=4, ffn=1024)
# size, channels, filters of the two stages, batch, timed iterations (workloads::Cnn)
CNN_DIGITS = (28, 1, 16, 32, 32, 20)
CNN_CIFAR = (32, 3, 32, 64, 32, 10)


def wave(shape, scale, phase):
    """scale * sin(0.37 i + phase) over the elements in row-major order, float64 -> float32."""
    n = int(np.prod(shape))
    return (scale * np.sin(0.37 * np.arange(n, dtype=np.float64) + phase)).astype(
        np.float32).reshape(shape)


def one_hot_targets(rows, classes):
    labels = (7 * np.arange(rows) + 3) % classes
    return np.eye(classes, dtype=np.float32)[labels]


def mlp_name(sizes, batch):
    return f"mlp {'-'.join(map(str, sizes))} b{batch} step"


def mlp_init(sizes, batch):
    params = []
    for l in range(len(sizes) - 1):
        params.append(wave((sizes[l], sizes[l + 1]), np.sqrt(2.0 / sizes[l]), float(l)))
        params.append(np.zeros(sizes[l + 1], np.float32))
    return params, wave((batch, sizes[0]), 1.0, 0.5), one_hot_targets(batch, sizes[-1])


def transformer_name():
    t = TRANSFORMER
    return f"transformer b{t['batch']} s{t['seq']} d{t['width']} step"


def transformer_init():
    t = TRANSFORMER
    w, f = t["width"], t["ffn"]
    s, sf = 1.0 / np.sqrt(w), 1.0 / np.sqrt(f)
    params = [wave((w, w), s, 0), wave((w, w), s, 1), wave((w, w), s, 2), wave((w, w), s, 3),
              wave((w, f), s, 4), np.zeros(f, np.float32), wave((f, w), sf, 5),
              np.zeros(w, np.float32), np.ones(w, np.float32), np.zeros(w, np.float32),
              np.ones(w, np.float32), np.zeros(w, np.float32)]
    shape = (t["batch"], t["seq"], w)
    return params, wave(shape, 1.0, 0.25), wave(shape, 1.0, 0.75)


def cnn_name(size, channels, f1, f2, batch):
    return f"cnn {size}x{size}x{channels} b{batch} step"


def cnn_init(size, channels, f1, f2, batch, classes=10):
    """NHWC inputs, HWIO filters, dense rows in (h, w, c) order, as workloads::Cnn."""
    flat = (size // 4) * (size // 4) * f2
    params = [wave((3, 3, channels, f1), np.sqrt(2.0 / (9 * channels)), 0),
              np.zeros(f1, np.float32),
              wave((3, 3, f1, f2), np.sqrt(2.0 / (9 * f1)), 1), np.zeros(f2, np.float32),
              wave((flat, classes), np.sqrt(1.0 / flat), 2), np.zeros(classes, np.float32)]
    return params, wave((batch, size, size, channels), 1.0, 0.5), one_hot_targets(batch, classes)


def cnn_channels_first(params, x):
    """The same model for frameworks whose convolutions are NCHW (PyTorch): OIHW filters, NCHW
    inputs, and the dense rows permuted to (c, h, w) order, so every value is unchanged."""
    w1, b1, w2, b2, wd, bd = params
    f2, side = w2.shape[3], int(round(np.sqrt(wd.shape[0] // w2.shape[3])))
    wd = wd.reshape(side, side, f2, -1).transpose(2, 0, 1, 3).reshape(wd.shape)
    return ([np.ascontiguousarray(w1.transpose(3, 2, 0, 1)), b1,
             np.ascontiguousarray(w2.transpose(3, 2, 0, 1)), b2, np.ascontiguousarray(wd), bd],
            np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def losses_note(losses):
    return "losses " + " ".join(f"{float(l):.6g}" for l in losses)


# --- The models, written once over a namespace of array ops (np-like: matmul, reshape, ...) ---

def mlp_logits(ops, params, x):
    h = x
    for l in range(0, len(params), 2):
        h = ops.matmul(h, params[l]) + params[l + 1]
        if l + 2 < len(params):
            h = ops.relu(h)
    return h


def mlp_loss(ops, params, x, y):
    return -ops.mean(ops.sum(y * ops.log_softmax(mlp_logits(ops, params, x)), 1))


def transformer_loss(ops, p, x, y):
    t = TRANSFORMER
    b, s, w, nh = t["batch"], t["seq"], t["width"], t["heads"]
    dh = w // nh

    def layer_norm(v, gamma, beta):
        mean = ops.mean(v, -1, keepdims=True)
        centered = v - mean
        variance = ops.mean(centered * centered, -1, keepdims=True)
        return centered * ops.rsqrt(variance + 1e-5) * gamma + beta

    def split_heads(v):
        return ops.reshape(ops.transpose(ops.reshape(v, (b, s, nh, dh)), (0, 2, 1, 3)),
                           (b * nh, s, dh))

    def merge_heads(v):
        return ops.reshape(ops.transpose(ops.reshape(v, (b, nh, s, dh)), (0, 2, 1, 3)), (b * s, w))

    h = ops.reshape(layer_norm(x, p[8], p[9]), (b * s, w))
    q, k, v = (split_heads(ops.matmul(h, p[i])) for i in range(3))
    scores = ops.matmul_nt(q, k) * np.float32(1.0 / np.sqrt(dh))
    attention = merge_heads(ops.matmul(ops.softmax(scores), v))
    x1 = x + ops.reshape(ops.matmul(attention, p[3]), (b, s, w))
    h2 = ops.reshape(layer_norm(x1, p[10], p[11]), (b * s, w))
    f = ops.matmul(ops.relu(ops.matmul(h2, p[4]) + p[5]), p[6]) + p[7]
    out = x1 + ops.reshape(f, (b, s, w))
    return ops.mean((out - y) * (out - y))


def cnn_loss(ops, p, x, y):
    def stage(h, w, b):
        return ops.max_pool2(ops.relu(ops.bias(ops.conv2d(h, w), b)))
    h = stage(stage(x, p[0], p[1]), p[2], p[3])
    logits = ops.matmul(ops.flatten(h), p[4]) + p[5]
    return -ops.mean(ops.sum(y * ops.log_softmax(logits), 1))


# Only the rows whose name contains this (peers.py --model; tfjit-bench --only transformer).
ONLY = ""


def workloads():
    """(row name, loss function, init function, timed iterations) for each training step."""
    return [w for w in all_workloads() if ONLY in w[0]]


def all_workloads():
    return [(mlp_name(*MLP_SMALL[:2]), mlp_loss, lambda: mlp_init(*MLP_SMALL[:2]), MLP_SMALL[2]),
            (mlp_name(*MLP_WIDE[:2]), mlp_loss, lambda: mlp_init(*MLP_WIDE[:2]), MLP_WIDE[2]),
            (cnn_name(*CNN_DIGITS[:5]), cnn_loss, lambda: cnn_init(*CNN_DIGITS[:5]), CNN_DIGITS[5]),
            (cnn_name(*CNN_CIFAR[:5]), cnn_loss, lambda: cnn_init(*CNN_CIFAR[:5]), CNN_CIFAR[5]),
            (transformer_name(), transformer_loss, transformer_init, 10)]


INFERENCE = "mlp 784-512-512-10 inference b1"


class TfOps:
    def __init__(self, tf):
        self.tf = tf

    def matmul(self, a, b):
        return self.tf.matmul(a, b)

    def matmul_nt(self, a, b):
        return self.tf.matmul(a, b, transpose_b=True)

    def relu(self, v):
        return self.tf.nn.relu(v)

    def mean(self, v, axis=None, keepdims=False):
        return self.tf.reduce_mean(v, axis, keepdims=keepdims)

    def sum(self, v, axis):
        return self.tf.reduce_sum(v, axis)

    def log_softmax(self, v):
        return self.tf.nn.log_softmax(v)

    def softmax(self, v):
        return self.tf.nn.softmax(v, -1)

    def rsqrt(self, v):
        return self.tf.math.rsqrt(v)

    def reshape(self, v, shape):
        return self.tf.reshape(v, shape)

    def transpose(self, v, perm):
        return self.tf.transpose(v, perm)

    def conv2d(self, v, w):  # NHWC, HWIO, stride 1, SAME
        return self.tf.nn.conv2d(v, w, 1, "SAME")

    def bias(self, v, b):
        return v + b

    def max_pool2(self, v):
        return self.tf.nn.max_pool2d(v, 2, 2, "VALID")

    def flatten(self, v):
        return self.tf.reshape(v, (v.shape[0], -1))


class JaxOps(TfOps):
    def __init__(self, jnp, jax):
        self.jnp, self.jax = jnp, jax

    def matmul(self, a, b):
        return a @ b

    def matmul_nt(self, a, b):
        return a @ self.jnp.swapaxes(b, -1, -2)

    def relu(self, v):
        return self.jax.nn.relu(v)

    def mean(self, v, axis=None, keepdims=False):
        return self.jnp.mean(v, axis, keepdims=keepdims)

    def sum(self, v, axis):
        return self.jnp.sum(v, axis)

    def log_softmax(self, v):
        return self.jax.nn.log_softmax(v)

    def softmax(self, v):
        return self.jax.nn.softmax(v, -1)

    def rsqrt(self, v):
        return self.jax.lax.rsqrt(v)

    def reshape(self, v, shape):
        return self.jnp.reshape(v, shape)

    def transpose(self, v, perm):
        return self.jnp.transpose(v, perm)

    def conv2d(self, v, w):
        return self.jax.lax.conv_general_dilated(v, w, (1, 1), "SAME",
                                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def max_pool2(self, v):
        return self.jax.lax.reduce_window(v, -self.jnp.inf, self.jax.lax.max, (1, 2, 2, 1),
                                          (1, 2, 2, 1), "VALID")

    def flatten(self, v):
        return self.jnp.reshape(v, (v.shape[0], -1))


class TorchOps(TfOps):
    def __init__(self, torch):
        self.torch = torch

    def matmul(self, a, b):
        return a @ b

    def matmul_nt(self, a, b):
        return a @ b.transpose(-1, -2)

    def relu(self, v):
        return self.torch.relu(v)

    def mean(self, v, axis=None, keepdims=False):
        return v.mean() if axis is None else v.mean(axis, keepdim=keepdims)

    def sum(self, v, axis):
        return v.sum(axis)

    def log_softmax(self, v):
        return self.torch.log_softmax(v, -1)

    def softmax(self, v):
        return self.torch.softmax(v, -1)

    def rsqrt(self, v):
        return self.torch.rsqrt(v)

    def reshape(self, v, shape):
        return v.reshape(shape)

    def transpose(self, v, perm):
        return v.permute(perm)

    def conv2d(self, v, w):  # NCHW, OIHW (cnn_channels_first)
        return self.torch.nn.functional.conv2d(v, w, padding="same")

    def bias(self, v, b):
        return v + b[:, None, None]

    def max_pool2(self, v):
        return self.torch.nn.functional.max_pool2d(v, 2)

    def flatten(self, v):
        return v.reshape(v.shape[0], -1)


def bench_tf(res, fw, variants, q, time_us):
    import tensorflow as tf
    ops = TfOps(tf)
    for name, loss_fn, init, iterations in workloads():
        params0, x0, y0 = init()
        x, y = tf.constant(x0), tf.constant(y0)
        for variant, wrap in variants:
            def run(wrap=wrap, loss_fn=loss_fn, iterations=iterations, params0=params0):
                params = [tf.Variable(p) for p in params0]

                def step(inp, target):
                    with tf.GradientTape() as tape:
                        loss = loss_fn(ops, params, inp, target)
                    for p, g in zip(params, tape.gradient(loss, params)):
                        p.assign_sub(g * LR)
                    return loss

                f = wrap(step)
                losses = [float(f(x, y)) for _ in range(CHECKED_STEPS)]
                return time_us(lambda: f(x, y), max(1, iterations // q)), losses_note(losses)
            res.add(name, fw, variant, run)
    if ONLY not in INFERENCE:
        return
    params0, x0, _ = mlp_init(MLP_SMALL[0], 1)
    params, x = [tf.constant(p) for p in params0], tf.constant(x0)
    for variant, wrap in variants:
        f = wrap(lambda inp: mlp_logits(ops, params, inp))
        res.add(INFERENCE, fw, variant, lambda f=f: (time_us(lambda: f(x), 2000 // q), ""))


def bench_jax(res, fw, variants, q, time_us, sync, device=None, prefix="", inference=True):
    """The training steps (and batch-1 inference) in JAX, on `device` (default: JAX's), rows
    named prefix + workload."""
    import jax
    import jax.numpy as jnp
    ops = JaxOps(jnp, jax)
    put = (lambda a: jax.device_put(jnp.asarray(a), device)) if device else jnp.asarray
    for name, loss_fn, init, iterations in workloads():
        name = prefix + name
        params0, x0, y0 = init()
        x, y = put(x0), put(y0)
        p0 = tuple(put(p) for p in params0)

        def step(p, inp, target, loss_fn=loss_fn):
            loss, g = jax.value_and_grad(lambda p: loss_fn(ops, p, inp, target))(p)
            return tuple(pi - LR * gi for pi, gi in zip(p, g)), loss

        for variant, wrap in variants:
            def run(wrap=wrap, step=step, iterations=iterations, p0=p0):
                f = wrap(step)
                p, losses = p0, []
                for _ in range(CHECKED_STEPS):
                    p, loss = f(p, x, y)
                    losses.append(float(loss))
                state = [p]

                def one():
                    state[0], loss = f(state[0], x, y)
                    return loss
                # Un-jitted, each step traces value_and_grad anew: fewer iterations.
                n = max(1, (iterations if variant != "eager" else max(1, iterations // 5)) // q)
                return time_us(one, n, sync=sync), losses_note(losses)
            res.add(name, fw, variant, run)
    if not inference or ONLY not in INFERENCE:
        return
    params0, x0, _ = mlp_init(MLP_SMALL[0], 1)
    params, x = [jnp.asarray(p) for p in params0], jnp.asarray(x0)
    for variant, wrap in variants:
        f = wrap(lambda inp: mlp_logits(ops, params, inp))
        res.add(INFERENCE, fw, variant,
                lambda f=f: (time_us(lambda: f(x), 2000 // q, sync=sync), ""))


def bench_torch(res, fw, variants, q, time_us, device="cpu", prefix="", sync=None,
                inference=True):
    """The training steps (and batch-1 inference) in PyTorch, on `device`, rows named prefix +
    workload; `sync` (CUDA's) ends each timed batch."""
    import torch
    ops = TorchOps(torch)
    for name, loss_fn, init, iterations in workloads():
        name = prefix + name
        params0, x0, y0 = init()
        if loss_fn is cnn_loss:
            params0, x0 = cnn_channels_first(params0, x0)
        x, y = torch.from_numpy(x0).to(device), torch.from_numpy(y0).to(device)
        for variant, wrap in variants:
            def run(wrap=wrap, loss_fn=loss_fn, iterations=iterations, params0=params0):
                params = [torch.from_numpy(p.copy()).to(device).requires_grad_() for p in params0]

                def step(inp, target):
                    loss = loss_fn(ops, params, inp, target)
                    loss.backward()
                    with torch.no_grad():
                        for p in params:
                            p.sub_(p.grad * LR)
                            p.grad = None
                    return loss.detach()

                f = wrap(step)
                losses = [float(f(x, y)) for _ in range(CHECKED_STEPS)]
                return (time_us(lambda: f(x, y), max(1, iterations // q), sync=sync),
                        losses_note(losses))
            res.add(name, fw, variant, run)
    if not inference or ONLY not in INFERENCE:
        return
    params0, x0, _ = mlp_init(MLP_SMALL[0], 1)
    params, x = [torch.from_numpy(p) for p in params0], torch.from_numpy(x0)

    def forward(inp):
        with torch.no_grad():
            return mlp_logits(ops, params, inp)
    for variant, wrap in variants:
        f = wrap(forward)
        res.add(INFERENCE, fw, variant, lambda f=f: (time_us(lambda: f(x), 2000 // q), ""))
