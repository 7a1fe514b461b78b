#!/usr/bin/env python3
"""tfjit-bench's workloads in TensorFlow, JAX and PyTorch, for a side-by-side table.

Optional: tfjit builds and tests without Python; run_peers.sh makes the virtual environment.
Every workload matches tools/tfjit_bench.cpp in sizes, dtypes and timing rule (median of 5
batches of back-to-back calls, after a warm-up call that, for a compiled function, is the trace
and compile). A framework that is not installed, or a variant that fails, gets an error row
instead of a time, so one broken peer does not hide the others.

  peers.py [--quick] [--json] [--only tf,jax,torch] [--tfjit FILE.json ...] [--load PEERS.json]
  peers.py --only tf-models,jax-models,torch-models ...   the training steps users run
                                          (tools/workloads.h, scripts/peers/models.py)
  peers.py --only torch-gpu,jax-gpu ...    the GPU rows (tools/bench_gpu.cpp) on GPU:0
  peers.py --only torch-gpu-models,jax-gpu-models ...   the training steps on GPU:0
                                          (either: PEERS_GPU_ON_CPU=1 runs it on the CPU, a
                                          smoke test)

--tfjit takes one or more `tfjit-bench --json` outputs (the median per row is used) and adds the
side-by-side table, each peer as a ratio to tfjit measured on the same machine.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import traceback

import models  # scripts/peers/models.py: the training steps of tools/workloads.h

SIZES_M = (4, 32)  # elementwise chain, millions (2^20) of float32
# Eager transposes of the innermost dim, as tfjit-bench's chain section times them.
TRANSPOSES = (((1024, 1024), (1, 0)), ((8, 128, 4, 64), (0, 2, 3, 1)))
LR = 0.1


def transpose_name(shape, perm):
    return f"transpose {tuple(shape)} perm {' '.join(map(str, perm))}"


def time_us(f, iterations, repeats=5, sync=None):
    """Median over `repeats` batches of the mean time per call, in microseconds.

    `sync` (JAX's asynchronous dispatch) waits for a batch's last result before the clock stops.
    """
    r = f()
    if sync:
        sync(r)
    batches = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            r = f()
        if sync:
            sync(r)
        batches.append((time.perf_counter() - start) * 1e6 / iterations)
    return statistics.median(batches)


def progress(what):
    print(f"[peers] {what}...", file=sys.stderr, flush=True)


class Results:
    def __init__(self):
        self.rows = []

    def add(self, workload, framework, variant, fn, note=""):
        """Runs fn() -> (us, note) and records it, or the error it raised."""
        progress(f"{workload}: {framework} {variant}")
        try:
            us, extra = fn()
            self.rows.append(dict(workload=workload, framework=framework, variant=variant,
                                  us=us, note=extra or note))
        except Exception as e:  # a peer's failure is a result too
            msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
            print(f"[peers] ERROR {workload} {framework} {variant}: {msg}", file=sys.stderr)
            if os.environ.get("PEERS_TRACEBACK"):
                traceback.print_exc()
            self.rows.append(dict(workload=workload, framework=framework, variant=variant,
                                  us=None, note="ERROR: " + msg))


def check_fit(w, b):
    """The tutorial's check: 100 steps from w = b = 0 fit y = 3x + 1."""
    if abs(w - 3) > 0.05 or abs(b - 1) > 0.05:
        raise RuntimeError(f"did not converge: w = {w:.4f}, b = {b:.4f}")
    return f"after 100 steps w = {w:.4f}, b = {b:.4f}"


def check_loss(first, last):
    if not last < first:
        raise RuntimeError(f"loss did not decrease: {first:.4f} -> {last:.4f}")
    return f"loss {first:.4f} -> {last:.4f} in 50 steps"


# ---------------------------------------------------------------------------------------------
# TensorFlow: eager, tf.function, tf.function(jit_compile=True)


def tf_setup():
    import tensorflow as tf

    threads = int(os.environ.get("PEERS_THREADS", os.cpu_count()))
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    fw = f"tensorflow {tf.__version__}"
    variants = [("eager", lambda f: f), ("tf.function", tf.function),
                ("tf.function(jit_compile)", lambda f: tf.function(f, jit_compile=True))]
    return tf, fw, variants


def bench_tf_models(res, q):
    _, fw, variants = tf_setup()
    models.bench_tf(res, fw, variants, q, time_us)


def bench_tf(res, q):
    tf, fw, variants = tf_setup()

    a = tf.fill([500, 500], 0.01)
    for name, wrap in variants:
        mm = wrap(lambda x: tf.matmul(x, x))
        res.add("matmul 500x500", fw, name, lambda: (time_us(lambda: mm(a), 200 // q), ""))

    for m in SIZES_M:
        x = tf.fill([m << 20], 0.5)
        for name, wrap in variants:
            chain = wrap(lambda t: t * t + 2.0 * t + 1.0)
            res.add(f"chain {m}M f32", fw, name,
                    lambda: (time_us(lambda: chain(x), max(2, 400 // m // q)), ""))

    for shape, perm in TRANSPOSES:
        x = tf.random.normal(shape)
        res.add(transpose_name(shape, perm), fw, "eager",
                lambda x=x, perm=perm: (time_us(lambda: tf.transpose(x, perm), max(2, 400 // q)), ""))

    s = tf.constant([1.0])
    res.add("overhead", fw, "eager", lambda: (time_us(lambda: tf.add(s, s), 20000 // q), "per op"))
    for name, wrap in variants[1:]:
        f = wrap(lambda t: t + t)
        res.add("overhead", fw, name, lambda: (time_us(lambda: f(s), 20000 // q), "per call"))

    def body(x, w):
        h = tf.matmul(x, w)
        for _ in range(6):
            h = tf.tanh(h * 0.5 + 0.1)
        return tf.reduce_sum(h, 1)

    for name, wrap in variants[1:]:
        def cold(wrap=wrap):
            x, w = tf.ones([8, 16]), tf.ones([16, 8])
            wrap(body)(x, w)  # first compile of this variant (set-up), excluded as in tfjit
            ms = []
            for _ in range(2 if q > 1 else 5):
                f = wrap(body)  # a new function: traced and compiled again
                t0 = time.perf_counter()
                f(x, w).numpy()
                ms.append((time.perf_counter() - t0) * 1e6)
            return statistics.median(ms), "first call of a new function"
        res.add("compile", fw, name, cold)

    tf.random.set_seed(0)
    xs = tf.random.normal([100])
    ys = xs * 3.0 + 1.0 + tf.random.normal([100], 0, 0.1)
    for name, wrap in variants:
        def linreg(wrap=wrap):
            w, b = tf.Variable(0.0), tf.Variable(0.0)

            def step(x, y):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(tf.square(y - (w * x + b)))
                gw, gb = tape.gradient(loss, [w, b])
                w.assign_sub(gw * LR)
                b.assign_sub(gb * LR)
                return loss

            f = wrap(step)
            for _ in range(100):
                f(xs, ys)
            note = check_fit(float(w.numpy()), float(b.numpy()))
            return time_us(lambda: f(xs, ys), 2000 // q), note
        res.add("linreg step", fw, name, linreg)

    x = tf.random.normal([256, 64])
    onehot = tf.one_hot(tf.random.uniform([256], 0, 10, tf.int32), 10)
    w1_0, w2_0 = tf.random.normal([64, 128], 0, 0.1), tf.random.normal([128, 10], 0, 0.1)
    for name, wrap in variants:
        def mlp(wrap=wrap):
            w1, b1 = tf.Variable(w1_0), tf.Variable(tf.zeros([128]))
            w2, b2 = tf.Variable(w2_0), tf.Variable(tf.zeros([10]))
            params = [w1, b1, w2, b2]

            def step(inp, target):
                with tf.GradientTape() as tape:
                    logits = tf.matmul(tf.nn.relu(tf.matmul(inp, w1) + b1), w2) + b2
                    loss = -tf.reduce_mean(
                        tf.reduce_sum(target * tf.nn.log_softmax(logits), 1))
                for p, g in zip(params, tape.gradient(loss, params)):
                    p.assign_sub(g * LR)
                return loss

            f = wrap(step)
            first = float(f(x, onehot))
            for _ in range(49):
                last = float(f(x, onehot))
            note = check_loss(first, last)
            return time_us(lambda: f(x, onehot), 200 // q), note
        res.add("mlp step", fw, name, mlp)


# ---------------------------------------------------------------------------------------------
# JAX: op-by-op (eager) and jax.jit. Functional: a training step returns the new parameters.


def jax_linreg(jax, wrap, xs, ys, iterations, put=lambda a: a):
    """The linear-regression step (w, b put on xs' device): 100 steps must fit, then timed."""
    jnp = jax.numpy

    def lin_step(w, b, x, y):
        loss_fn = lambda w, b: jnp.mean(jnp.square(y - (w * x + b)))
        loss, (gw, gb) = jax.value_and_grad(loss_fn, argnums=(0, 1))(w, b)
        return w - LR * gw, b - LR * gb, loss

    f = wrap(lin_step)
    w, b = put(jnp.float32(0)), put(jnp.float32(0))
    for _ in range(100):
        w, b, _ = f(w, b, xs, ys)
    note = check_fit(float(w), float(b))
    state = [w, b]

    def one():
        state[0], state[1], loss = f(state[0], state[1], xs, ys)
        return loss
    return time_us(one, iterations, sync=jax.block_until_ready), note


def jax_setup():
    import jax

    return jax, f"jax {jax.__version__}", [("eager", lambda f: f), ("jax.jit", jax.jit)]


def bench_jax_models(res, q):
    jax, fw, variants = jax_setup()
    models.bench_jax(res, fw, variants, q, time_us, jax.block_until_ready)


def bench_jax(res, q):
    import jax.numpy as jnp

    jax, fw, variants = jax_setup()
    sync = jax.block_until_ready

    a = jnp.full((500, 500), 0.01, jnp.float32)
    for name, wrap in variants:
        mm = wrap(lambda x: x @ x)
        res.add("matmul 500x500", fw, name, lambda: (time_us(lambda: mm(a), 200 // q, sync=sync), ""))

    for m in SIZES_M:
        x = jnp.full((m << 20,), 0.5, jnp.float32)
        for name, wrap in variants:
            chain = wrap(lambda t: t * t + 2.0 * t + 1.0)
            res.add(f"chain {m}M f32", fw, name,
                    lambda: (time_us(lambda: chain(x), max(2, 400 // m // q), sync=sync), ""))

    s = jnp.array([1.0], jnp.float32)
    res.add("overhead", fw, "eager",
            lambda: (time_us(lambda: jnp.add(s, s), 20000 // q, sync=sync), "per op"))
    f = jax.jit(lambda t: t + t)
    res.add("overhead", fw, "jax.jit", lambda: (time_us(lambda: f(s), 20000 // q, sync=sync), "per call"))

    def body(x, w):
        h = x @ w
        for _ in range(6):
            h = jnp.tanh(h * 0.5 + 0.1)
        return jnp.sum(h, 1)

    def cold():
        x, w = jnp.ones((8, 16)), jnp.ones((16, 8))
        jax.jit(lambda a, b: body(a, b))(x, w).block_until_ready()  # set-up, excluded
        ms = []
        for _ in range(2 if q > 1 else 5):
            jax.clear_caches()  # a really cold compile, as tfjit's clear_compile_cache
            f = jax.jit(lambda a, b: body(a, b))
            t0 = time.perf_counter()
            f(x, w).block_until_ready()
            ms.append((time.perf_counter() - t0) * 1e6)
        return statistics.median(ms), "first call of a new function, caches cleared"
    res.add("compile", fw, "jax.jit", cold)

    key = jax.random.PRNGKey(0)
    k1, k2, k3, k4, k5, k6 = jax.random.split(key, 6)
    xs = jax.random.normal(k1, (100,))
    ys = xs * 3.0 + 1.0 + 0.1 * jax.random.normal(k2, (100,))

    for name, wrap in variants:
        res.add("linreg step", fw, name, lambda: jax_linreg(jax, wrap, xs, ys, 2000 // q))

    x = jax.random.normal(k3, (256, 64))
    onehot = jax.nn.one_hot(jax.random.randint(k4, (256,), 0, 10), 10)
    p0 = (0.1 * jax.random.normal(k5, (64, 128)), jnp.zeros(128),
          0.1 * jax.random.normal(k6, (128, 10)), jnp.zeros(10))

    def mlp_loss(p, inp, target):
        w1, b1, w2, b2 = p
        logits = jax.nn.relu(inp @ w1 + b1) @ w2 + b2
        return -jnp.mean(jnp.sum(target * jax.nn.log_softmax(logits), 1))

    def mlp_step(p, inp, target):
        loss, g = jax.value_and_grad(mlp_loss)(p, inp, target)
        return tuple(pi - LR * gi for pi, gi in zip(p, g)), loss

    for name, wrap in variants:
        def mlp(wrap=wrap):
            f = wrap(mlp_step)
            p, first = f(p0, x, onehot)
            for _ in range(49):
                p, last = f(p, x, onehot)
            note = check_loss(float(first), float(last))
            state = [p]

            def one():
                state[0], loss = f(state[0], x, onehot)
                return loss
            return time_us(one, 200 // q, sync=sync), note
        res.add("mlp step", fw, name, mlp)


# ---------------------------------------------------------------------------------------------
# PyTorch: eager and torch.compile (Inductor, which generates C++ and compiles it with g++).


def torch_linreg(torch, wrap, xs, ys, iterations, sync=None):
    """The linear-regression step on xs' device: 100 steps must fit y = 3x + 1, then timed."""
    w = torch.zeros((), device=xs.device, requires_grad=True)
    b = torch.zeros((), device=xs.device, requires_grad=True)

    def step(x, y):
        loss = torch.mean(torch.square(y - (w * x + b)))
        # backward(), not autograd.grad: torch.compile falls back to eager, retracing on every
        # call, on autograd.grad; backward() is its supported training idiom.
        loss.backward()
        with torch.no_grad():
            for p in (w, b):
                p.sub_(p.grad * LR)
                p.grad = None
        return loss.detach()

    f = wrap(step)
    for _ in range(100):
        f(xs, ys)
    note = check_fit(float(w.detach()), float(b.detach()))
    return time_us(lambda: f(xs, ys), iterations, sync=sync), note


def torch_setup():
    import torch

    threads = int(os.environ.get("PEERS_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    fw = f"torch {torch.__version__}"
    return torch, fw, [("eager", lambda f: f), ("torch.compile", torch.compile)]


def bench_torch_models(res, q):
    _, fw, variants = torch_setup()
    models.bench_torch(res, fw, variants, q, time_us)


def bench_torch(res, q):
    torch, fw, variants = torch_setup()

    a = torch.full((500, 500), 0.01)
    for name, wrap in variants:
        mm = wrap(lambda x: x @ x)
        res.add("matmul 500x500", fw, name, lambda: (time_us(lambda: mm(a), 200 // q), ""))

    for m in SIZES_M:
        x = torch.full((m << 20,), 0.5)
        for name, wrap in variants:
            chain = wrap(lambda t: t * t + 2.0 * t + 1.0)
            res.add(f"chain {m}M f32", fw, name,
                    lambda: (time_us(lambda: chain(x), max(2, 400 // m // q)), ""))

    for shape, perm in TRANSPOSES:
        x = torch.randn(shape)
        res.add(transpose_name(shape, perm), fw, "eager",
                lambda x=x, perm=perm: (time_us(lambda: x.permute(perm).contiguous(),
                                                max(2, 400 // q)), ""))

    s = torch.tensor([1.0])
    res.add("overhead", fw, "eager", lambda: (time_us(lambda: torch.add(s, s), 20000 // q), "per op"))
    f = torch.compile(lambda t: t + t)
    res.add("overhead", fw, "torch.compile", lambda: (time_us(lambda: f(s), 20000 // q), "per call"))

    def body(x, w):
        h = x @ w
        for _ in range(6):
            h = torch.tanh(h * 0.5 + 0.1)
        return h.sum(1)

    def cold():
        import torch._dynamo
        import torch._inductor.config as ic

        ic.fx_graph_cache = False
        x, w = torch.ones(8, 16), torch.ones(16, 8)
        torch.compile(lambda a, b: body(a, b))(x, w)  # set-up, excluded
        ms = []
        for _ in range(2 if q > 1 else 5):
            torch._dynamo.reset()
            # A fresh Inductor cache directory, or the generated C++ comes from the disk cache.
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="peers-inductor-")
            f = torch.compile(lambda a, b: body(a, b))
            t0 = time.perf_counter()
            f(x, w)
            ms.append((time.perf_counter() - t0) * 1e6)
        return statistics.median(ms), "first call of a new function, caches cleared"
    res.add("compile", fw, "torch.compile", cold)

    torch.manual_seed(0)
    xs = torch.randn(100)
    ys = xs * 3.0 + 1.0 + 0.1 * torch.randn(100)
    for name, wrap in variants:
        res.add("linreg step", fw, name, lambda: torch_linreg(torch, wrap, xs, ys, 2000 // q))

    x = torch.randn(256, 64)
    onehot = torch.nn.functional.one_hot(torch.randint(0, 10, (256,)), 10).float()
    w1_0, w2_0 = 0.1 * torch.randn(64, 128), 0.1 * torch.randn(128, 10)
    for name, wrap in variants:
        def mlp(wrap=wrap):
            params = [w1_0.clone().requires_grad_(), torch.zeros(128, requires_grad=True),
                      w2_0.clone().requires_grad_(), torch.zeros(10, requires_grad=True)]

            def step(inp, target):
                w1, b1, w2, b2 = params
                logits = torch.relu(inp @ w1 + b1) @ w2 + b2
                loss = -torch.mean(torch.sum(target * torch.log_softmax(logits, 1), 1))
                loss.backward()
                with torch.no_grad():
                    for p in params:
                        p.sub_(p.grad * LR)
                        p.grad = None
                return loss.detach()

            f = wrap(step)
            first = float(f(x, onehot))
            for _ in range(49):
                last = float(f(x, onehot))
            note = check_loss(first, last)
            return time_us(lambda: f(x, onehot), 200 // q), note
        res.add("mlp step", fw, name, mlp)


# ---------------------------------------------------------------------------------------------
# GPU:0, the workloads of tools/bench_gpu.cpp. float32 GEMMs without TF32, as cuBLAS's sgemm.

GPU_CHAIN = 64 << 20
# PEERS_GPU_ON_CPU=1 runs the GPU rows on the CPU: a smoke test of this script without a GPU.
GPU_ON_CPU = os.environ.get("PEERS_GPU_ON_CPU") == "1"


def bench_torch_gpu(res, q):
    import torch

    if not torch.cuda.is_available() and not GPU_ON_CPU:
        raise RuntimeError("torch sees no GPU")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    fw = f"torch {torch.__version__}"
    dev = torch.device("cpu" if GPU_ON_CPU else "cuda:0")
    sync = (lambda _: None) if GPU_ON_CPU else (lambda _: torch.cuda.synchronize())
    variants = [("eager", lambda f: f), ("torch.compile", torch.compile),
                ("torch.compile(reduce-overhead)",
                 lambda f: torch.compile(f, mode="reduce-overhead"))]

    torch.manual_seed(0)
    x = torch.rand(GPU_CHAIN, device=dev) * 2 - 1  # random data, as tfjit-bench uses
    for name, wrap in variants:
        chain = wrap(lambda t: t * t + 2.0 * t + 1.0)
        res.add("gpu chain 64M", fw, name,
                lambda: (time_us(lambda: chain(x), max(2, 200 // q), sync=sync), ""))

    for size in (1024, 4096):
        a = torch.rand(size, size, device=dev) * 2 - 1
        for name, wrap in variants:
            mm = wrap(lambda m: m @ m)
            res.add(f"gpu matmul {size}", fw, name, lambda: (
                time_us(lambda: mm(a), max(2, (50 if size > 1024 else 500) // q), sync=sync), ""))

    xs = torch.randn(100, device=dev)
    ys = xs * 3.0 + 1.0 + 0.1 * torch.randn(100, device=dev)
    for name, wrap in variants:
        res.add("gpu linreg step", fw, name,
                lambda: torch_linreg(torch, wrap, xs, ys, max(10, 2000 // q), sync))

    s = torch.tensor([1.0], device=dev)
    res.add("gpu overhead", fw, "eager",
            lambda: (time_us(lambda: torch.add(s, s), 20000 // q, sync=sync), "per op"))
    for name, wrap in variants[1:]:
        f = wrap(lambda t: t + t)
        res.add("gpu overhead", fw, name,
                lambda: (time_us(lambda: f(s), 20000 // q, sync=sync), "per call"))


def bench_jax_gpu(res, q):
    import jax
    import jax.numpy as jnp

    gpu = jax.devices("cpu" if GPU_ON_CPU else "gpu")[0]  # raises without one
    jax.config.update("jax_default_matmul_precision", "highest")
    fw = f"jax {jax.__version__}"
    sync = jax.block_until_ready
    variants = [("eager", lambda f: f), ("jax.jit", jax.jit)]
    put = lambda a: jax.device_put(a, gpu)

    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    x = put(jax.random.uniform(keys[2], (GPU_CHAIN,), jnp.float32, -1, 1))  # as tfjit-bench
    for name, wrap in variants:
        chain = wrap(lambda t: t * t + 2.0 * t + 1.0)
        res.add("gpu chain 64M", fw, name,
                lambda: (time_us(lambda: chain(x), max(2, 200 // q), sync=sync), ""))

    for size in (1024, 4096):
        a = put(jax.random.uniform(keys[3], (size, size), jnp.float32, -1, 1))
        for name, wrap in variants:
            mm = wrap(lambda m: m @ m)
            res.add(f"gpu matmul {size}", fw, name, lambda: (
                time_us(lambda: mm(a), max(2, (50 if size > 1024 else 500) // q), sync=sync), ""))

    xs = put(jax.random.normal(keys[0], (100,)))
    ys = put(xs * 3.0 + 1.0 + 0.1 * jax.random.normal(keys[1], (100,)))

    for name, wrap in variants:
        # Un-jitted, each step traces value_and_grad anew (milliseconds): fewer iterations.
        n = max(10, (100 if name == "eager" else 2000) // q)
        res.add("gpu linreg step", fw, name, lambda: jax_linreg(jax, wrap, xs, ys, n, put))

    s = put(jnp.array([1.0], jnp.float32))
    res.add("gpu overhead", fw, "eager",
            lambda: (time_us(lambda: jnp.add(s, s), 20000 // q, sync=sync), "per op"))
    f = jax.jit(lambda t: t + t)
    res.add("gpu overhead", fw, "jax.jit",
            lambda: (time_us(lambda: f(s), 20000 // q, sync=sync), "per call"))


def bench_torch_gpu_models(res, q):
    """The training steps of tools/workloads.h on GPU:0 (tfjit-bench --only gpu-models)."""
    import torch

    if not torch.cuda.is_available() and not GPU_ON_CPU:
        raise RuntimeError("torch sees no GPU")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    _, fw, variants = torch_setup()
    dev = torch.device("cpu" if GPU_ON_CPU else "cuda:0")
    sync = (lambda _: None) if GPU_ON_CPU else (lambda _: torch.cuda.synchronize())
    models.bench_torch(res, fw, variants, q, time_us, device=dev, prefix="gpu ", sync=sync,
                       inference=False)


def bench_jax_gpu_models(res, q):
    """The training steps of tools/workloads.h on GPU:0 (tfjit-bench --only gpu-models)."""
    jax, fw, variants = jax_setup()
    gpu = jax.devices("cpu" if GPU_ON_CPU else "gpu")[0]  # raises without one
    jax.config.update("jax_default_matmul_precision", "highest")
    models.bench_jax(res, fw, variants, q, time_us, jax.block_until_ready, device=gpu,
                     prefix="gpu ", inference=False)


# ---------------------------------------------------------------------------------------------
# Side-by-side table against tfjit-bench --json.

# Which tfjit row each workload is compared with: (eager variant, compiled variant).
TFJIT_ROWS = {
    "matmul 500x500": ("eager", "tf::function (oneDNN call)"),
    "chain 4M f32": ("eager (5 ops)", "tf::function (fused)"),
    "chain 32M f32": ("eager (5 ops)", "tf::function (fused)"),
    "overhead": ("eager add, 1 element", "tf::function call, cache hit"),
    "compile": (None, "trace + compile, 20 ops, cold"),
    "linreg step": ("eager (reference)", "tf::function step"),
    "mlp step": ("eager (reference)", "tf::function step"),
    models.mlp_name(*models.MLP_SMALL[:2]): ("eager", "tf::function"),
    models.mlp_name(*models.MLP_WIDE[:2]): ("eager", "tf::function"),
    models.transformer_name(): ("eager", "tf::function"),
    models.cnn_name(*models.CNN_DIGITS[:5]): ("eager", "tf::function"),
    models.cnn_name(*models.CNN_CIFAR[:5]): ("eager", "tf::function"),
    models.INFERENCE: ("eager", "tf::function"),
    **{transpose_name(shape, perm): ("eager", None) for shape, perm in TRANSPOSES},
    "gpu chain 64M": ("eager (5 kernels)", "tf::function (fused)"),
    "gpu matmul 1024": ("eager", "tf::function (cuBLAS in the plan)"),
    "gpu matmul 4096": ("eager", "tf::function (cuBLAS in the plan)"),
    "gpu linreg step": ("eager", "tf::function"),
    "gpu overhead": ("eager add, 1 element", "tf::function call, cache hit"),
}
TFJIT_ROWS.update({"gpu " + w: TFJIT_ROWS[w] for w in [
    models.mlp_name(*models.MLP_SMALL[:2]), models.mlp_name(*models.MLP_WIDE[:2]),
    models.transformer_name(), models.cnn_name(*models.CNN_DIGITS[:5]),
    models.cnn_name(*models.CNN_CIFAR[:5])]})
COLUMNS = [("tensorflow", "eager"), ("tensorflow", "tf.function"),
           ("tensorflow", "tf.function(jit_compile)"), ("jax", "eager"), ("jax", "jax.jit"),
           ("torch", "eager"), ("torch", "torch.compile"),
           ("torch", "torch.compile(reduce-overhead)")]


def merge_runs(paths):
    """Rows of several peers.py --json outputs; a row measured more than once gets its median."""
    merged = {}
    for p in paths:
        with open(p) as f:
            for r in json.load(f)["peers"]:
                key = (r["workload"], r["framework"], r["variant"])
                merged.setdefault(key, dict(r, runs=[]))["runs"].append(r["us"])
    rows = []
    for r in merged.values():
        times = [t for t in r.pop("runs") if t is not None]
        r["us"] = statistics.median(times) if times else None  # an error only if all failed
        rows.append(r)
    return rows


TFJIT_NOTES = {}  # (workload, variant) -> tfjit-bench's note (the loss curves)


def load_tfjit(paths):
    """Median per (workload, variant) over several tfjit-bench --json runs."""
    runs = {}
    for p in paths:
        with open(p) as f:
            data = json.load(f)
        for r in data["rows"] if isinstance(data, dict) else data:
            TFJIT_NOTES.setdefault((r["workload"], r["variant"]), r.get("note", ""))
            if r["us"] is not None and r["us"] >= 0:
                runs.setdefault((r["workload"], r["variant"]), []).append(r["us"])
    return {k: statistics.median(v) for k, v in runs.items()}


def losses_of(note):
    """The loss curve a row's note carries ("losses 2.30259 2.30265 ..."), or None."""
    words = (note or "").split("losses ")
    if len(words) < 2:
        return None
    values = []
    for w in words[1].split():
        try:
            values.append(float(w.rstrip(";")))
        except ValueError:
            break
    return values or None


def same_training(workload, note):
    """False when a peer's loss curve differs from tfjit's eager one: not the same workload."""
    mine, theirs = losses_of(TFJIT_NOTES.get((workload, "eager"))), losses_of(note)
    if mine is None or theirs is None:
        return True
    return all(abs(a - b) <= 1e-3 * max(1.0, abs(a)) for a, b in zip(mine, theirs))


def fmt_us(us):
    if us is None:
        return "—"
    if us >= 10000:
        return f"{us / 1000:.1f} ms"
    return f"{us:.0f} µs" if us >= 100 else f"{us:.2f} µs"


def fmt_ratio(r):
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"


def side_by_side(rows, tfjit):
    def find(workload, framework, variant):
        for r in rows:
            if r["workload"] == workload and r["framework"].startswith(framework) \
                    and r["variant"] == variant:
                return r
        return None

    head = ["workload", "tfjit eager", "tfjit compiled"] + [f"{f} {v}" for f, v in COLUMNS]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for workload, (te, tc) in TFJIT_ROWS.items():
        ref_e = tfjit.get((workload, te)) if te else None
        ref_c = tfjit.get((workload, tc))
        if ref_e is None and ref_c is None and not any(find(workload, f, v) for f, v in COLUMNS):
            continue  # a section this run did not measure
        cells = [workload, fmt_us(ref_e), fmt_us(ref_c)]
        for framework, variant in COLUMNS:
            r = find(workload, framework, variant)
            ref = ref_e if variant == "eager" else ref_c
            if r is None:
                cells.append("")
            elif r["us"] is None:
                cells.append("error")
            elif not same_training(workload, r.get("note")):
                cells.append(f"{fmt_us(r['us'])} (loss curve differs from tfjit's!)")
            elif ref:
                cells.append(f"{fmt_us(r['us'])} ({fmt_ratio(r['us'] / ref)})")
            else:
                cells.append(fmt_us(r["us"]))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    ap.add_argument("--only", default="tf,jax,torch",
                    help="comma-separated: tf,jax,torch (CPU), tf-models,jax-models,torch-models "
                         "(the training steps of tools/workloads.h), torch-gpu,jax-gpu (GPU:0), "
                         "torch-gpu-models,jax-gpu-models (the training steps on GPU:0)")
    ap.add_argument("--model", default="",
                    help="*-models: only the rows whose name contains this (e.g. transformer)")
    ap.add_argument("--tfjit", nargs="*", default=[], help="tfjit-bench --json outputs")
    ap.add_argument("--load", nargs="*", default=[],
                    help="earlier peers.py --json outputs to table instead of measuring (the "
                         "median per row over them)")
    args = ap.parse_args()
    models.ONLY = args.model
    q = 10 if args.quick else 1
    res = Results()
    res.rows = merge_runs(args.load)
    benches = {"tf": bench_tf, "jax": bench_jax, "torch": bench_torch,
               "tf-models": bench_tf_models, "jax-models": bench_jax_models,
               "torch-models": bench_torch_models,
               "torch-gpu": bench_torch_gpu, "jax-gpu": bench_jax_gpu,
               "torch-gpu-models": bench_torch_gpu_models, "jax-gpu-models": bench_jax_gpu_models}
    for name in ([] if args.load else args.only.split(",")):
        try:
            benches[name](res, q)
        except Exception as e:  # not installed, or broken at import
            msg = f"{type(e).__name__}: {e}"[:300]
            print(f"[peers] ERROR {name}: {msg}", file=sys.stderr)
            res.rows.append(dict(workload="(all)", framework=name, variant="(all)", us=None,
                                 note="ERROR: " + msg))
    tfjit = load_tfjit(args.tfjit)
    if args.json:
        json.dump(dict(peers=res.rows, tfjit={f"{w} | {v}": us for (w, v), us in tfjit.items()}),
                  sys.stdout, indent=1)
        print()
        return
    print(f"{'workload':16} {'framework':22} {'variant':26} {'time (us)':>12}  note")
    for r in res.rows:
        us = f"{r['us']:12.2f}" if r["us"] is not None else f"{'—':>12}"
        print(f"{r['workload']:16} {r['framework']:22} {r['variant']:26} {us}  {r['note']}")
    if tfjit:
        print("\nSide by side (peer time / tfjit time; eager peers against tfjit eager, compiled "
              "against tfjit compiled):\n")
        print(side_by_side(res.rows, tfjit))


if __name__ == "__main__":
    main()
