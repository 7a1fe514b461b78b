#!/usr/bin/env python3
"""tfjit-bench-collectives --model's training step in PyTorch DDP (gloo), on the same data and
initial weights; the data writer for both; and the report of a run_distributed.sh run.

Optional (needs .venv-peers with torch; torch.distributed's gloo ships in the wheel).

  ddp_peers.py --write-data DIR
      digits_x.npy (1437, 64) float32 = examples/data/digits_train_x.npy / 16, digits_y.npy
      int32; digits_w{0..3}.npy: 64-32-10, Glorot-uniform kernels (RandomState(4)) in (in, out)
      layout, zero biases. mlp_x.npy (2560, 784) float32 RandomState(0) normals, mlp_y.npy =
      argmax(x @ W), W from RandomState(1); mlp_w{0..5}.npy: 784-512-512-10, Glorot uniform
      (RandomState(3)), zero biases. Identical bytes every time.

  mpirun -np N ddp_peers.py --model digits|mlp --data DIR [--global-batch 256] [--weak]
        [--lr 0.1] [--check-steps 5] [--steps 20] [--repeats 5] [--threads 1]
        [--expect TFJIT.json] [--json]
      The step tfjit-bench-collectives --model times: nn.Sequential(Linear, ReLU, ...) wrapped in
      DistributedDataParallel (gloo, default buckets of 25 MB), each rank its contiguous share
      of each global batch, F.cross_entropy averaged over the rank's rows (DDP averages the
      gradients over the ranks: the global batch mean), torch.optim.SGD. The first
      --check-steps steps record the global loss; with --expect, they must equal that tfjit
      run's losses (relative tolerance 1e-4) before anything is timed, else exit 2. Then the
      timed batches (the slowest rank's time, median over repeats), then the same step on the
      bare module without DDP (compute only). Rank 0 prints the JSON.
      Ranks come from mpirun (OMPI_COMM_WORLD_RANK/SIZE) or torchrun (RANK/WORLD_SIZE);
      MASTER_ADDR/MASTER_PORT default to 127.0.0.1:29531.

  ddp_peers.py --report DIR
      Markdown tables of a run_distributed.sh directory: all-reduce latency per size against
      MPI_Allreduce, and training step times with scaling efficiency for tfjit and DDP (strong:
      E = t1 / (N tN) at a fixed global batch; weak: E = t1 / tN at a fixed batch per rank), and
      every strong-scaling run's losses against the 1-rank tfjit run's. Each configuration is
      the median over its passes (NAME-passK.json), leaving out passes whose NAME.cpu.json says
      other work took more than 0.25 cores while a quieter pass exists. Exit 2 if a loss differs.
"""
import glob
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOSS_RTOL = 1e-4
BUSY_CORES = 0.25  # other work's average share of the machine above which a pass is "busy"
MODELS = {"digits": [64, 32, 10], "mlp": [784, 512, 512, 10]}
NAMES = {"digits": "digits mlp 64-32-10", "mlp": "mlp 784-512-512-10"}


def glorot(rs, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rs.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def write_data(d):
    os.makedirs(d, exist_ok=True)
    x = np.load(os.path.join(ROOT, "examples/data/digits_train_x.npy")).astype(np.float32) / 16
    y = np.load(os.path.join(ROOT, "examples/data/digits_train_y.npy")).astype(np.int32)
    np.save(os.path.join(d, "digits_x.npy"), x.reshape(len(x), 64))
    np.save(os.path.join(d, "digits_y.npy"), y)
    mx = np.random.RandomState(0).normal(size=(2560, 784)).astype(np.float32)
    w = np.random.RandomState(1).normal(size=(784, 10))
    np.save(os.path.join(d, "mlp_x.npy"), mx)
    np.save(os.path.join(d, "mlp_y.npy"), np.argmax(mx.astype(np.float64) @ w, axis=1).astype(np.int32))
    for name, seed in (("digits", 4), ("mlp", 3)):
        rs, sizes, i = np.random.RandomState(seed), MODELS[name], 0
        for a, b in zip(sizes[:-1], sizes[1:]):
            np.save(os.path.join(d, f"{name}_w{i}.npy"), glorot(rs, a, b))
            np.save(os.path.join(d, f"{name}_w{i + 1}.npy"), np.zeros(b, np.float32))
            i += 2


def option(args, name, default, kind=str):
    return kind(args[args.index(name) + 1]) if name in args else default


def train(args):
    import datetime
    import platform

    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP

    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("RANK", "0")))
    world = int(os.environ.get("OMPI_COMM_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29531")
    threads = option(args, "--threads", 1, int)
    torch.set_num_threads(threads)
    load_before = os.getloadavg()
    dist.init_process_group("gloo", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=120))

    model_name = option(args, "--model", None)
    if model_name not in MODELS:
        sys.exit("--model digits|mlp")
    d = option(args, "--data", None)
    weak = "--weak" in args
    g = option(args, "--global-batch", 256, int)
    global_batch = g * world if weak else g
    if global_batch % world:
        sys.exit(f"global batch {global_batch} does not divide by {world} ranks")
    local = global_batch // world
    lr = option(args, "--lr", 0.1, float)
    check_steps = option(args, "--check-steps", 5, int)
    steps = option(args, "--steps", 20, int)
    repeats = option(args, "--repeats", 5, int)

    x = np.load(os.path.join(d, f"{model_name}_x.npy"))
    y = np.load(os.path.join(d, f"{model_name}_y.npy")).astype(np.int64)
    batches = len(x) // global_batch
    xs = [torch.from_numpy(x[b * global_batch + rank * local:][:local].copy()) for b in range(batches)]
    ys = [torch.from_numpy(y[b * global_batch + rank * local:][:local].copy()) for b in range(batches)]
    sizes = MODELS[model_name]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.Linear(a, b)
        with torch.no_grad():  # tfjit's kernels are (in, out); torch's weights (out, in)
            lin.weight.copy_(torch.from_numpy(np.load(os.path.join(d, f"{model_name}_w{2 * i}.npy")).T))
            lin.bias.copy_(torch.from_numpy(np.load(os.path.join(d, f"{model_name}_w{2 * i + 1}.npy"))))
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=lr)
    counter = [0]

    def step(net):
        b = counter[0] % batches
        counter[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(xs[b]), ys[b])
        loss.backward()
        opt.step()
        return loss

    def slowest(seconds):
        t = torch.tensor([seconds], dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return t.item()

    dist.barrier()
    start = time.perf_counter()
    first = step(ddp)
    first_step_ms = slowest(time.perf_counter() - start) * 1e3
    losses = []
    for i in range(check_steps):
        loss = (first if i == 0 else step(ddp)).detach() * (local / global_batch)
        dist.all_reduce(loss)
        losses.append(loss.item())
    check = None
    if "--expect" in args:
        with open(option(args, "--expect", None)) as f:
            want = json.load(f)["losses"]
        n = min(len(want), len(losses))
        worst = max((abs(a - b) / max(abs(b), 1e-12) for a, b in zip(losses[:n], want[:n])),
                    default=0.0)
        check = dict(against=option(args, "--expect", None), steps=n, max_rel_diff=worst,
                     ok=bool(n > 0 and worst <= LOSS_RTOL))
        if not check["ok"]:
            if rank == 0:
                print(f"ddp_peers.py: the first {n} losses differ from tfjit's (max relative "
                      f"difference {worst:.3g} > {LOSS_RTOL}): torch {losses[:n]}, tfjit "
                      f"{want[:n]}; not timing", file=sys.stderr)
            dist.destroy_process_group()
            sys.exit(2)

    def timed(net):
        for _ in range(2):
            step(net)
        out = []
        for _ in range(repeats):
            dist.barrier()
            start = time.perf_counter()
            for _ in range(steps):
                step(net)
            out.append(slowest(time.perf_counter() - start) / steps * 1e3)
        return sorted(out)

    ddp_ms = timed(ddp)
    with torch.no_grad():  # replicas must still agree (DDP all-reduces every gradient)
        diff = 0.0
        for p in model.parameters():
            hi, lo = p.detach().clone(), p.detach().clone()
            dist.all_reduce(hi, op=dist.ReduceOp.MAX)
            dist.all_reduce(lo, op=dist.ReduceOp.MIN)
            diff = max(diff, (hi - lo).abs().max().item())
    local_ms = timed(model)  # the bare module: no hooks, no all-reduce
    dist.barrier()
    dist.destroy_process_group()
    if rank != 0:
        return

    def row(variant, v):
        return dict(variant=variant, ms=v[len(v) // 2], min_ms=v[0], max_ms=v[-1])

    meta = dict(date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), host=platform.node(),
                cpus=len(os.sched_getaffinity(0)), command=" ".join(sys.argv), ranks=world,
                threads_per_rank=threads, omp_num_threads=os.environ.get("OMP_NUM_THREADS", ""),
                load_before=list(load_before), load_after=list(os.getloadavg()),
                versions=dict(torch=torch.__version__, numpy=np.__version__))
    out = dict(metadata=meta, mode="model", framework="torch DDP (gloo)",
               model=NAMES[model_name], ranks=world, scaling="weak" if weak else "strong",
               global_batch=global_batch, local_batch=local,
               parameters=sum(p.numel() for p in model.parameters()), threads=threads, lr=lr,
               steps_per_batch=steps, repeats=repeats, first_step_ms=first_step_ms,
               replica_max_abs_diff=diff, losses=losses, loss_check=check,
               rows=[row("step (all-reduce)", ddp_ms), row("compute only (no all-reduce)", local_ms)])
    if "--json" in args:
        json.dump(out, sys.stdout, indent=1)
        print()
    else:
        print(f"{out['model']}, {world} ranks, global batch {global_batch}: DDP step "
              f"{out['rows'][0]['ms']:.3f} ms, compute only {out['rows'][1]['ms']:.3f} ms, "
              f"losses {losses}")


# --- the report ---------------------------------------------------------------------------------

def human_bytes(b):
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return f"{b // size} {unit}"
    return f"{b} B"


def ms(x):
    return f"{x:.3g}" if x < 10 else f"{x:.1f}"


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def spread(v, f):
    return f"{f(median(v))} [{f(min(v))}–{f(max(v))}]" if len(v) > 1 else f(v[0])


def quiet_runs(runs):
    """The runs whose machine stayed quiet, else all of them; and the note saying which."""
    keep = [r for r in runs if r["foreign"] is not None and r["foreign"] <= BUSY_CORES] or runs
    note = "" if len(keep) == len(runs) else f" [{len(keep)}/{len(runs)}]"
    return keep, note


def report(d):
    """Each configuration's median over the passes (NAME-passK.json), with the range."""
    runs, out, status = [], [], 0
    for path in sorted(glob.glob(os.path.join(d, "*.json"))):
        with open(path) as f:
            try:
                r = json.load(f)
            except json.JSONDecodeError:
                print(f"(no result in {os.path.basename(path)}: the run failed, see its .log)\n")
                continue
        if "mode" not in r:
            continue  # NAME.cpu.json: the machine's load during run NAME
        r["file"] = os.path.basename(path)
        if r.get("eager"):  # tfjit-bench-collectives --eager / --bytes-per-pack: their own rows
            r["framework"] += " (eager)"
        if r.get("bytes_per_pack", 25 << 20) != 25 << 20:
            r["framework"] += f" (packs of {human_bytes(r['bytes_per_pack'])})"
        cpu = path[:-len(".json")] + ".cpu.json"
        r["foreign"] = json.load(open(cpu))["foreign_cores"] if os.path.exists(cpu) else None
        runs.append(r)
    if any(r["foreign"] is not None for r in runs):
        out.append(f"Passes whose run had other work take more than {BUSY_CORES} cores on "
                   f"average (NAME.cpu.json) are left out of a configuration's median when a "
                   f"quieter pass exists; [k/n] after a figure says how many passes it rests on "
                   f"when not all.")
    us = lambda x: f"{x:.3g}"
    # All-reduce: one table per rank count, powers of 4 (every power of 2 is in the JSON).
    variants = [("MPI_Allreduce direct", "MPI_Allreduce direct"),
                ("tfjit Communicator::all_reduce", "tfjit Communicator"),
                ("tfjit Communicator, deterministic", "deterministic"),
                ("tf::distribute all_reduce (Tensor)", "eager Tensor all_reduce"),
                ("MPI_Iallreduce + MPI_Wait (direct)", "Iallreduce + Wait"),
                ("MPI_Iallreduce + tfjit's poll (direct)", "Iallreduce + tfjit's poll")]
    allreduce = [r for r in runs if r.get("mode") == "all-reduce"]
    for n in sorted({r["metadata"]["ranks"] for r in allreduce}):
        keep, note = quiet_runs([r for r in allreduce if r["metadata"]["ranks"] == n])
        passes = [{(x["bytes"], x["variant"]): x for x in r["rows"]} for r in keep]
        out.append(f"\n**All-reduce, float32 SUM, {n} ranks** ({len(passes)} passes{note}; µs per call: "
                   f"the slowest rank's mean over a batch, median of 5 batches, then the median "
                   f"over the passes; (×) = the same pass's ratio to MPI_Allreduce direct, median "
                   f"over the passes)\n")
        out.append("| size | " + " | ".join(h for _, h in variants) + " |")
        out.append("|---:|" + "---:|" * len(variants))
        sizes = sorted({b for b, _ in passes[0] if b > 0})
        for b in sizes:
            if b & (b - 1) or (b.bit_length() - 1) % 2:  # powers of 4 only
                continue
            cells = []
            for i, (v, _) in enumerate(variants):
                t = median([p[(b, v)]["us"] for p in passes])
                ratio = median([p[(b, v)]["us"] / p[(b, variants[0][0])]["us"] for p in passes])
                cells.append(us(t) if i == 0 else f"{us(t)} (×{ratio:.2f})")
            out.append(f"| {human_bytes(b)} | " + " | ".join(cells) + " |")
        mb = [p[(0, "MPI_Barrier direct")]["us"] for p in passes]
        tb = [p[(0, "tfjit barrier (descriptor agreement alone)")]["us"] for p in passes]
        out.append(f"\nBarrier: MPI_Barrier {spread(mb, us)} µs; tfjit's barrier (exactly the "
                   f"descriptor agreement every collective starts with) {spread(tb, us)} µs.")
        big = max(sizes)
        bw = []
        for v, h in variants[:3]:
            bw.append(f"{h} {median([p[(big, v)]['algbw_GBps'] for p in passes]):.2f}")
        out.append(f"Algorithmic bandwidth at {human_bytes(big)} (GB/s): " + ", ".join(bw) + ".")

    # Training: one row per configuration, over its passes.
    models = [r for r in runs if r.get("mode") == "model"]
    for model in sorted({r["model"] for r in models}):
        mine = [r for r in models if r["model"] == model]
        groups = {}
        for r in mine:
            groups.setdefault((r["framework"], r["scaling"], r["ranks"], r["threads"]), []).append(r)
        step = {k: median([r["rows"][0]["ms"] for r in quiet_runs(g)[0]]) for k, g in groups.items()}
        out.append(f"\n**{model}**, SGD, {mine[0]['parameters']:,} parameters; step time in ms: "
                   f"the slowest rank's mean over {mine[0]['steps_per_batch']} steps, median of "
                   f"{mine[0]['repeats']} batches, then median [range] over the passes. E = "
                   f"scaling efficiency against the same framework's 1 rank × 1 thread (strong, "
                   f"global batch fixed: t1 / (N·tN); weak, batch per rank fixed: t1 / tN).\n")
        out.append("| framework | ranks × threads | scaling | global batch | step (ms) "
                   "| compute only (ms) | E | first step (ms) |")
        out.append("|---|---:|---|---:|---:|---:|---:|---:|")
        order = lambda k: (not k[0].startswith("tfjit"), k[0], k[1] != "strong", k[2], k[3])
        for k in sorted(groups, key=order):
            framework, scaling, n, threads = k
            g, note = quiet_runs(groups[k])
            t = step[k]
            t1 = step.get((framework, "strong", 1, 1))
            e = "–" if t1 is None else f"{t1 / (n * t) if scaling == 'strong' else t1 / t:.0%}"
            out.append(f"| {framework} | {n} × {threads} | {scaling} | {g[0]['global_batch']} | "
                       f"{spread([r['rows'][0]['ms'] for r in g], ms)}{note} | "
                       f"{spread([r['rows'][1]['ms'] for r in g], ms)} | {e} | "
                       f"{median([r['first_step_ms'] for r in g]):.0f} |")
        # Losses: every strong-scaling run against the first 1-rank tfjit run.
        ref = sorted((r for r in mine if r["framework"] == "tfjit" and r["ranks"] == 1
                      and r["threads"] == 1 and r["scaling"] == "strong"), key=lambda r: r["file"])
        if ref:
            want = ref[0]["losses"]
            worst = {}
            for r in mine:
                if r["scaling"] != "strong" or r is ref[0]:
                    continue
                got = r["losses"][:len(want)]
                diff = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(got, want))
                key = f"{r['framework']} {r['ranks']}×{r['threads']}"
                worst[key] = max(worst.get(key, 0.0), diff)
            bad = [k for k, v in worst.items() if v > LOSS_RTOL]
            status = 2 if bad else status
            out.append(f"\nLoss check: the first {len(want)} global losses of `{ref[0]['file']}` "
                       f"are " + " ".join(f"{x:.6f}" for x in want) + "; the largest relative "
                       "difference of any strong-scaling run, per configuration: "
                       + ", ".join(f"{k} {v:.1e}" + (" **MISMATCH**" if v > LOSS_RTOL else "")
                                   for k, v in worst.items()) + ".")
        diffs = [r["replica_max_abs_diff"] for r in mine if r["ranks"] > 1]
        out.append(f"Replicas' variables after the timed steps: largest |difference| across ranks "
                   f"in any multi-rank run {max(diffs):.1g}." if diffs else "")
    print("\n".join(out))
    return status


def main():
    args = sys.argv[1:]
    if not args or "--help" in args or "-h" in args:
        print(__doc__)
        return 0 if args else 1
    if "--write-data" in args:
        write_data(option(args, "--write-data", None))
        return 0
    if "--report" in args:
        return report(option(args, "--report", None))
    if "--model" in args:
        train(args)
        return 0
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
