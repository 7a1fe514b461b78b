#!/usr/bin/env python3
"""tfjit-bench's keras section (tools/bench_keras.cpp) in Keras 3 on TensorFlow, torch.compile and
jax.jit + optax, on the same data and initial weights.

Optional (needs .venv-peers, with optax). Threads: PEERS_THREADS (default 1).

  .venv-peers/bin/python scripts/peers/keras_peers.py --data DIR --write-only   # data, weights
  taskset -c 1 build/tools/tfjit-bench --only keras --threads 1 --data DIR --json > tfjit.json
  PEERS_THREADS=1 taskset -c 1 .venv-peers/bin/python scripts/peers/keras_peers.py --data DIR \\
      --json > peers.json
  .venv-peers/bin/python scripts/peers/keras_peers.py --compare tfjit.json[,...] peers.json[,...]

--data DIR: where the .npy files go (written afresh each run; identical bytes every time):
  digits_x.npy (1437, 8, 8, 1) float32 = examples/data/digits_train_x.npy / 16, digits_y.npy;
  mlp_x.npy (12800, 784) float32, RandomState(0) normal; mlp_y.npy = argmax(x @ W), W from
  RandomState(1); cnn_w{0..5}.npy, mlp_w{0..5}.npy: Glorot-uniform kernels (RandomState(2),
  (3)) in Keras' layout (HWIO, (in, out)) and zero biases, in Sequential.get_weights() order.

Each fit runs twice from those weights, without shuffling: 3 epochs without dropout (the loss
check: every framework's epoch losses must match tfjit's; its first epoch, the model's first
compile in the process with disk caches off, is the reported first epoch), then the timed run
(the CNN with its Dropout(0.3)): the median of its epochs 2 and later. Adam is (1e-3, epsilon 1e-7) everywhere; the loss is sparse categorical
cross-entropy from logits, averaged over each batch; the epoch loss is the sample-weighted mean
over the epoch's batches (Keras' loss tracker). Epoch 1 (trace and compile) is reported apart.
"""
import json
import os
import re
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FITS = {  # name: (batch, timed run's epochs), as tools/bench_keras.cpp
    "digits-cnn": (32, 12),
    "mlp": (128, 7),
}
CHECK_EPOCHS = 3
ADAM_VARS, ADAM_SIZE = 10, 1 << 20


def glorot(rs, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rs.uniform(-limit, limit, size=shape).astype(np.float32)


def write_data(d):
    os.makedirs(d, exist_ok=True)
    x = np.load(os.path.join(ROOT, "examples/data/digits_train_x.npy")).astype(np.float32) / 16
    y = np.load(os.path.join(ROOT, "examples/data/digits_train_y.npy")).astype(np.int32)
    np.save(os.path.join(d, "digits_x.npy"), x)
    np.save(os.path.join(d, "digits_y.npy"), y)
    rs = np.random.RandomState(2)
    cnn = [glorot(rs, (3, 3, 1, 32), 9, 9 * 32), np.zeros(32, np.float32),
           glorot(rs, (512, 64), 512, 64), np.zeros(64, np.float32),
           glorot(rs, (64, 10), 64, 10), np.zeros(10, np.float32)]
    mx = np.random.RandomState(0).normal(size=(12800, 784)).astype(np.float32)
    w = np.random.RandomState(1).normal(size=(784, 10))
    my = np.argmax(mx.astype(np.float64) @ w, axis=1).astype(np.int32)
    np.save(os.path.join(d, "mlp_x.npy"), mx)
    np.save(os.path.join(d, "mlp_y.npy"), my)
    rs = np.random.RandomState(3)
    mlp = [glorot(rs, (784, 512), 784, 512), np.zeros(512, np.float32),
           glorot(rs, (512, 512), 512, 512), np.zeros(512, np.float32),
           glorot(rs, (512, 10), 512, 10), np.zeros(10, np.float32)]
    for prefix, ws in (("cnn", cnn), ("mlp", mlp)):
        for i, a in enumerate(ws):
            np.save(os.path.join(d, f"{prefix}_w{i}.npy"), a)


def load(d, name):
    prefix, stem = ("cnn", "digits") if name == "digits-cnn" else ("mlp", "mlp")
    x = np.load(os.path.join(d, f"{stem}_x.npy"))
    y = np.load(os.path.join(d, f"{stem}_y.npy"))
    return x, y, [np.load(os.path.join(d, f"{prefix}_w{i}.npy")) for i in range(6)]


def row(name, framework, check_times, times, losses, threads, note=""):
    """Epochs 2.. of the timed run; the first epoch of the loss-check run (the model's first
    compile in the process, disk caches off) as the cold first epoch."""
    steady = sorted(times[1:])
    return dict(workload=f"keras fit {name} b{FITS[name][0]}", framework=framework,
                us=steady[len(steady) // 2], min_us=steady[0], max_us=steady[-1],
                first_epoch_ms=check_times[0] / 1e3, timed_run_first_epoch_ms=times[0] / 1e3,
                epoch_losses=losses, threads=threads, note=note)


def median_us(f, iterations, repeats=5, sync=None):
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
    batches.sort()
    return batches[len(batches) // 2], batches[0], batches[-1]


# --- Keras 3 on TensorFlow ------------------------------------------------------------------------

def bench_tf(d, rows, threads):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    layers = keras.layers

    def model(name, dropout):
        if name == "digits-cnn":
            ls = [keras.Input((8, 8, 1)), layers.Conv2D(32, 3, activation="relu", padding="same"),
                  layers.MaxPooling2D(2), layers.Flatten()]
            ls += [layers.Dropout(0.3)] if dropout else []
            ls += [layers.Dense(64, activation="relu"), layers.Dense(10)]
        else:
            ls = [keras.Input((784,)), layers.Dense(512, activation="relu"),
                  layers.Dense(512, activation="relu"), layers.Dense(10)]
        return keras.Sequential(ls)

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append((time.perf_counter() - self.start) * 1e6)

    def fit(name, dropout, jit, epochs):
        x, y, w = load(d, name)
        m = model(name, dropout)
        m.set_weights(w)
        m.compile(optimizer=keras.optimizers.Adam(1e-3, epsilon=1e-7),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit)
        timer = Timer()
        h = m.fit(x, y, batch_size=FITS[name][0], epochs=epochs, shuffle=False, verbose=0,
                  callbacks=[timer])
        return timer.times, [float(v) for v in h.history["loss"]]

    for name in FITS:
        for jit in (False, True):
            fw = f"keras 3 tf (jit_compile={jit})"
            print(f"[keras_peers] {name} {fw}", file=sys.stderr, flush=True)
            check_times, losses = fit(name, False, jit, CHECK_EPOCHS)
            times, _ = fit(name, name == "digits-cnn", jit, FITS[name][1])
            rows.append(row(name, fw, check_times, times, losses, threads))

    # Adam on 10 x 1M float32, as tools/bench_keras.cpp.
    print("[keras_peers] adam 10x1M tf", file=sys.stderr, flush=True)
    rs = np.random.RandomState(5)
    grads = [tf.constant(rs.normal(0, 0.01, ADAM_SIZE).astype(np.float32))
             for _ in range(ADAM_VARS)]
    for jit in (False, True):
        vs = [tf.Variable(rs.normal(size=ADAM_SIZE).astype(np.float32)) for _ in range(ADAM_VARS)]
        opt = keras.optimizers.Adam(1e-3, epsilon=1e-7)
        step = tf.function(lambda: opt.apply_gradients(zip(grads, vs)), jit_compile=jit)
        us, lo, hi = median_us(step, 10)
        rows.append(dict(workload="adam apply_gradients 10x1M",
                         framework=f"keras 3 tf tf.function (jit_compile={jit})", us=us,
                         min_us=lo, max_us=hi, threads=threads))
        del vs, opt, step

    # tf.data per batch over the MLP data.
    print("[keras_peers] tf.data", file=sys.stderr, flush=True)
    x, y, _ = load(d, "mlp")
    batches = (len(x) + 127) // 128
    base = tf.data.Dataset.from_tensor_slices((x, y))
    for label, ds in (("from_tensor_slices.batch(128)", base.batch(128)),
                      ("from_tensor_slices.shuffle(n, 1).batch(128)",
                       base.shuffle(len(x), seed=1).batch(128)),
                      ("from_tensor_slices.batch(128).prefetch(2)", base.batch(128).prefetch(2)),
                      ("from_tensor_slices.shuffle(n, 1).batch(128).prefetch(2)",
                       base.shuffle(len(x), seed=1).batch(128).prefetch(2))):
        def one_pass():
            for _ in ds:
                pass
        us, lo, hi = median_us(one_pass, 2)
        rows.append(dict(workload=f"tf::data {len(x)}x784 b128", framework=f"tf.data {label}",
                         us=us / batches, min_us=lo / batches, max_us=hi / batches,
                         threads=threads))


# --- PyTorch, torch.compile -----------------------------------------------------------------------

def bench_torch(d, rows, threads):
    import torch
    torch.set_num_threads(threads)
    nn = torch.nn

    def model(name, w, dropout):
        if name == "digits-cnn":
            conv = nn.Conv2d(1, 32, 3, padding=1)
            d1, d2 = nn.Linear(512, 64), nn.Linear(64, 10)
            # Keras flattens (h, w, c); torch's NCHW flattens (c, h, w): permute dense rows.
            wd = w[2].reshape(4, 4, 32, 64).transpose(2, 0, 1, 3).reshape(512, 64)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(w[0].transpose(3, 2, 0, 1).copy()))
                conv.bias.copy_(torch.from_numpy(w[1]))
                d1.weight.copy_(torch.from_numpy(wd.T.copy()))
                d1.bias.copy_(torch.from_numpy(w[3]))
                d2.weight.copy_(torch.from_numpy(w[4].T.copy()))
                d2.bias.copy_(torch.from_numpy(w[5]))
            ls = [conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
            ls += [nn.Dropout(0.3)] if dropout else []
            return nn.Sequential(*ls, d1, nn.ReLU(), d2)
        lin = [nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)]
        with torch.no_grad():
            for i, l in enumerate(lin):
                l.weight.copy_(torch.from_numpy(w[2 * i].T.copy()))
                l.bias.copy_(torch.from_numpy(w[2 * i + 1]))
        return nn.Sequential(lin[0], nn.ReLU(), lin[1], nn.ReLU(), lin[2])

    def fit(name, dropout, epochs):
        x, y, w = load(d, name)
        if name == "digits-cnn":
            x = x.transpose(0, 3, 1, 2)
        x, y = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))
        m = model(name, w, dropout)
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
        # dynamic=False: one specialised graph per batch shape (32 and the last, smaller batch),
        # as tfjit and jax.jit compile; the default recompiles with a symbolic batch dim.
        cm = torch.compile(m, dynamic=False)
        loss_fn = nn.CrossEntropyLoss()
        batch, n = FITS[name][0], len(x)
        times, losses = [], []
        m.train()
        for _ in range(epochs):
            start = time.perf_counter()
            total = torch.zeros(())
            for b in range(0, n, batch):
                xb, yb = x[b:b + batch], y[b:b + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(cm(xb), yb)
                loss.backward()
                opt.step()
                total += loss.detach() * len(xb)
            losses.append(float(total) / n)
            times.append((time.perf_counter() - start) * 1e6)
        return times, losses

    for name in FITS:
        print(f"[keras_peers] {name} torch.compile", file=sys.stderr, flush=True)
        check_times, losses = fit(name, False, CHECK_EPOCHS)
        times, _ = fit(name, name == "digits-cnn", FITS[name][1])
        rows.append(row(name, "torch.compile + loop", check_times, times, losses, threads))

    print("[keras_peers] adam 10x1M torch", file=sys.stderr, flush=True)
    rs = np.random.RandomState(5)
    ps = [torch.nn.Parameter(torch.from_numpy(rs.normal(size=ADAM_SIZE).astype(np.float32)))
          for _ in range(ADAM_VARS)]
    for p in ps:
        p.grad = torch.from_numpy(rs.normal(0, 0.01, ADAM_SIZE).astype(np.float32))
    for variant, kw in (("foreach", dict(foreach=True)), ("fused", dict(fused=True))):
        opt = torch.optim.Adam(ps, lr=1e-3, eps=1e-7, **kw)
        us, lo, hi = median_us(opt.step, 10)
        rows.append(dict(workload="adam apply_gradients 10x1M",
                         framework=f"torch.optim.Adam ({variant})", us=us, min_us=lo, max_us=hi,
                         threads=threads))


# --- JAX, jax.jit + optax -------------------------------------------------------------------------

def bench_jax(d, rows, threads):
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax

    def apply(name, params, x, key, dropout):
        if name == "digits-cnn":
            w1, b1, w2, b2, w3, b3 = params
            h = lax.conv_general_dilated(x, w1, (1, 1), "SAME",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC")) + b1
            h = jax.nn.relu(h)
            h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
            h = h.reshape(h.shape[0], -1)
            if dropout:
                keep = jax.random.bernoulli(key, 0.7, h.shape)
                h = jnp.where(keep, h / 0.7, 0)
            return jax.nn.relu(h @ w2 + b2) @ w3 + b3
        w1, b1, w2, b2, w3, b3 = params
        h = jax.nn.relu(x @ w1 + b1)
        h = jax.nn.relu(h @ w2 + b2)
        return h @ w3 + b3

    tx = optax.adam(1e-3, eps=1e-7)

    def fit(name, dropout, epochs):
        x, y, w = load(d, name)
        params = [jnp.asarray(a) for a in w]
        opt_state = tx.init(params)

        def loss_fn(p, xb, yb, key):
            logits = apply(name, p, xb, key, dropout)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        @jax.jit
        def step(p, s, xb, yb, key):
            loss, g = jax.value_and_grad(loss_fn)(p, xb, yb, key)
            updates, s = tx.update(g, s, p)
            return optax.apply_updates(p, updates), s, loss

        batch, n = FITS[name][0], len(x)
        key = jax.random.PRNGKey(0)
        times, losses = [], []
        for _ in range(epochs):
            start = time.perf_counter()
            batch_losses = []
            for b in range(0, n, batch):
                key, sub = jax.random.split(key)
                params, opt_state, loss = step(params, opt_state, x[b:b + batch], y[b:b + batch],
                                               sub)
                batch_losses.append(loss * len(x[b:b + batch]))
            total = float(jnp.sum(jnp.stack(batch_losses)))
            losses.append(total / n)
            times.append((time.perf_counter() - start) * 1e6)
        return times, losses

    def keras_rule_losses(name):
        # The loss check again with Keras' Adam rule written out (epsilon added to sqrt(v)
        # before the bias correction; optax and torch add it after): shows that the gap between
        # the optax/torch losses and Keras'/tfjit's is that placement.
        x, y, w = load(d, name)

        @jax.jit
        def step(p, m, v, t, xb, yb):
            loss, g = jax.value_and_grad(lambda p: optax.softmax_cross_entropy_with_integer_labels(
                apply(name, p, xb, None, False), yb).mean())(p)
            t = t + 1
            alpha = 1e-3 * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            m = [mi + (gi - mi) * 0.1 for mi, gi in zip(m, g)]
            v = [vi + (gi * gi - vi) * 0.001 for vi, gi in zip(v, g)]
            p = [pi - alpha * mi / (jnp.sqrt(vi) + 1e-7) for pi, mi, vi in zip(p, m, v)]
            return p, m, v, t, loss
        p = [jnp.asarray(a) for a in w]
        m, v, t = [jnp.zeros_like(a) for a in p], [jnp.zeros_like(a) for a in p], jnp.float32(0)
        batch, losses = FITS[name][0], []
        for _ in range(CHECK_EPOCHS):
            total = 0.0
            for b in range(0, len(x), batch):
                p, m, v, t, loss = step(p, m, v, t, x[b:b + batch], y[b:b + batch])
                total += float(loss) * len(x[b:b + batch])
            losses.append(total / len(x))
        return losses

    for name in FITS:
        print(f"[keras_peers] {name} jax.jit + optax", file=sys.stderr, flush=True)
        check_times, losses = fit(name, False, CHECK_EPOCHS)
        times, _ = fit(name, name == "digits-cnn", FITS[name][1])
        rows.append(row(name, "jax.jit + optax", check_times, times, losses, threads))
        rows[-1]["epoch_losses_keras_adam_rule"] = keras_rule_losses(name)

    print("[keras_peers] adam 10x1M jax", file=sys.stderr, flush=True)
    rs = np.random.RandomState(5)
    params = [jnp.asarray(rs.normal(size=ADAM_SIZE).astype(np.float32)) for _ in range(ADAM_VARS)]
    grads = [jnp.asarray(rs.normal(0, 0.01, ADAM_SIZE).astype(np.float32))
             for _ in range(ADAM_VARS)]
    state = [params, tx.init(params)]

    def update(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s
    # Donated buffers (updated in place), as a training step would.
    update_donated = jax.jit(update, donate_argnums=(0, 1))

    def run():
        state[0], state[1] = update_donated(state[0], state[1], grads)
        return state[0]
    us, lo, hi = median_us(run, 10, sync=lambda r: jax.block_until_ready(r))
    rows.append(dict(workload="adam apply_gradients 10x1M", framework="jax.jit + optax (donated)",
                     us=us, min_us=lo, max_us=hi, threads=threads))


# --- The side-by-side table -----------------------------------------------------------------------

def compare(tfjit_paths, peers_paths):
    """The side-by-side table from comma-separated lists of tfjit-bench and peers JSON files: per
    row the median over the runs (of each run's median), ratios against tfjit's compiled row."""
    def median(v):
        v = sorted(v)
        return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2
    rows = {}  # (workload, framework) -> list of rows over runs
    for path in tfjit_paths.split(","):
        for r in json.load(open(path))["rows"]:
            m = re.search(r"first epoch \(trace\+compile\+run\) ([0-9.e+-]+) ms", r["note"])
            losses = re.search(r"epoch losses \(no dropout, no shuffle\) (.*)$", r["note"])
            rows.setdefault((r["workload"], r["variant"]), []).append(dict(
                us=r["us"], first_epoch_ms=float(m.group(1)) if m else None,
                epoch_losses=[float(v) for v in losses.group(1).split()] if losses else None))
    for path in peers_paths.split(","):
        for r in json.load(open(path))["rows"]:
            rows.setdefault((r["workload"], r["framework"]), []).append(r)
    by_workload = {}
    for (workload, framework), rs in rows.items():
        first = [r["first_epoch_ms"] for r in rs if r.get("first_epoch_ms") is not None]
        by_workload.setdefault(workload, []).append(dict(
            framework=framework, us=median([r["us"] for r in rs]), runs=len(rs),
            spread=(min(r["us"] for r in rs), max(r["us"] for r in rs)),
            first_epoch_ms=median(first) if first else None,
            epoch_losses=rs[0].get("epoch_losses"),
            keras_rule=rs[0].get("epoch_losses_keras_adam_rule")))
    refs = ("tfjit fit (compiled)", "tfjit tf::function", "plain loop x(tf::slice(b, e)), y(...)")
    for workload, rs in by_workload.items():
        ref = next((r for r in rs if r["framework"] in refs), None)
        fit = workload.startswith("keras fit")
        unit = 1e3 if fit or workload.startswith("adam") else 1
        what = "ms per epoch" if fit else "ms per step" if unit == 1e3 else "us per batch"
        print(f"\n{workload}  ({what}, median over runs [min-max of the runs]; "
              f"ratio = time / {ref['framework'] if ref else '?'})")
        want = ref.get("epoch_losses") if ref else None
        for r in rs:
            line = (f"  {r['framework']:58} {r['us'] / unit:10.3f} "
                    f"[{r['spread'][0] / unit:.3f}-{r['spread'][1] / unit:.3f}, {r['runs']} runs]")
            if ref and ref["us"] > 0 and r["us"] > 0:
                line += f"  {r['us'] / ref['us']:6.2f}x"
            if r.get("first_epoch_ms") is not None:
                line += f"  first epoch {r['first_epoch_ms']:8.1f} ms"
            for label, losses in (("losses", r.get("epoch_losses")),
                                  ("with Keras' Adam rule", r.get("keras_rule"))):
                if losses:
                    line += f"\n      {label} " + " ".join(f"{v:.6f}" for v in losses)
                    if want:
                        diff = max(abs(a - b) for a, b in zip(losses, want))
                        line += f"  (max |diff| vs tfjit compiled {diff:.1e})"
            print(line)


def main():
    args = sys.argv[1:]
    if args and args[0] == "--compare":
        compare(args[1], args[2])
        return
    if "--data" not in args:
        sys.exit(__doc__)
    d = args[args.index("--data") + 1]
    write_data(d)
    if "--write-only" in args:
        return
    if "--quick" in args:  # a smoke run: 3 epochs each
        for name in FITS:
            FITS[name] = (FITS[name][0], 3)
    threads = int(os.environ.get("PEERS_THREADS", "1"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    # Cold compiles: no compiled code from earlier runs (TensorFlow and JAX keep none on disk
    # unless asked).
    os.environ["TORCHINDUCTOR_FORCE_DISABLE_CACHES"] = "1"
    if threads == 1:  # XLA's CPU runtime (JAX, jit_compile) on one thread, as run_peers.sh
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1")
    only = args[args.index("--only") + 1].split(",") if "--only" in args else ["tf", "torch", "jax"]
    load_before = os.getloadavg()
    rows = []
    benches = dict(tf=bench_tf, torch=bench_torch, jax=bench_jax)
    if len(only) == 1:
        benches[only[0]](d, rows, threads)
    else:
        # One process per framework: TensorFlow's and PyTorch's LLVMs abort when both load.
        import subprocess
        rest = [a for i, a in enumerate(args)
                if a not in ("--json", "--only") and (i == 0 or args[i - 1] != "--only")]
        for key in only:
            out = subprocess.run([sys.executable, os.path.abspath(__file__), *rest, "--only", key,
                                  "--json"], check=True, stdout=subprocess.PIPE, text=True).stdout
            rows += json.loads(out)["rows"]
    if "--json" in args:
        import platform
        meta = dict(date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    host=platform.node(), command=" ".join(sys.argv), threads=threads,
                    cpus=len(os.sched_getaffinity(0)), load_before=list(load_before),
                    load_after=list(os.getloadavg()), versions=versions())
        json.dump(dict(metadata=meta, rows=rows), sys.stdout, indent=1)
        print()
        return
    for r in rows:
        print(f"{r['workload']:36} {r['framework']:58} {r['us'] / 1e3:10.3f} ms")


def versions():
    out = {}
    for mod in ("tensorflow", "keras", "torch", "jax", "jaxlib", "optax", "numpy"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 (absent: not recorded)
            pass
    return out


if __name__ == "__main__":
    main()
