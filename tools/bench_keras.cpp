// tfjit-bench's Keras section (issue 20): model.fit per epoch on the digits CNN and a
// 784-512-512-10 MLP, Adam's apply_gradients on 10M parameters against the memory bandwidth it must
// use, and tf::data's cost per batch against a plain loop. scripts/peers/keras_peers.py writes the
// data and the initial weights (.npy, `--data DIR`) and runs the same fits in Keras 3 (TensorFlow),
// torch.compile and jax.jit; the epoch losses in each fit row's note must match theirs.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "tools/bench.h"

namespace {

namespace layers = tf::keras::layers;
using Clock = std::chrono::steady_clock;

double elapsed_us(Clock::time_point since) {
  return std::chrono::duration<double, std::micro>(Clock::now() - since).count();
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

struct Fit {
  std::string name;  // "digits-cnn", "mlp"
  tf::Tensor x, y;
  std::vector<tf::Tensor> weights;
  int64_t batch = 32, epochs = 0;
};

tf::keras::Sequential make_model(const std::string& name, bool dropout) {
  if (name == "digits-cnn") {
    tf::keras::Sequential m({layers::Conv2D(32, 3, "relu", {.padding = "same"}),
                             layers::MaxPooling2D(2), layers::Flatten()});
    if (dropout) m.add(layers::Dropout(0.3));
    m.add(layers::Dense(64, "relu"));
    m.add(layers::Dense(10));
    return m;
  }
  return tf::keras::Sequential(
      {layers::Dense(512, "relu"), layers::Dense(512, "relu"), layers::Dense(10)});
}

// fit for `epochs` epochs from the given initial weights, no shuffling, silent: the time of each
// epoch (from on_epoch_begin to on_epoch_end) and the epoch losses.
void run_fit(const Fit& f, bool dropout, bool eager, int64_t epochs, std::vector<double>& times,
             std::vector<double>& losses) {
  tf::keras::Sequential model = make_model(f.name, dropout);
  std::vector<int64_t> dims = f.x.shape().dims();
  dims[0] = tf::unknown;
  model.build(tf::TensorShape(dims));
  model.set_weights(f.weights);
  model.compile(tf::keras::optimizers::Adam(1e-3),
                tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true), {},
                {.run_eagerly = eager});
  auto timer = std::make_shared<tf::keras::callbacks::LambdaCallback>();
  Clock::time_point start;
  timer->on_epoch_begin_fn = [&](int64_t, const tf::keras::Logs&) { start = Clock::now(); };
  timer->on_epoch_end_fn = [&](int64_t, const tf::keras::Logs&) {
    times.push_back(elapsed_us(start));
  };
  auto history = model.fit(f.x, f.y,
                           {.batch_size = f.batch,
                            .epochs = epochs,
                            .verbose = 0,
                            .shuffle = false,
                            .callbacks = {timer}});
  losses = history.history.at("loss");
}

// `cold_first_epoch_us`: the loss-check run's first epoch, the first compile of the model in the
// process, with the disk cache off.
std::string fit_note(double cold_first_epoch_us, const std::vector<double>& times,
                     const std::vector<double>& losses) {
  std::ostringstream s;
  s.precision(7);
  s << "first epoch (trace+compile+run) " << cold_first_epoch_us / 1e3 << " ms; epochs timed "
    << times.size() - 1 << "; epoch losses (no dropout, no shuffle)";
  for (double l : losses) s << " " << l;
  return s.str();
}

std::vector<tf::Tensor> load_weights(const std::filesystem::path& dir, const std::string& prefix,
                                     int count) {
  std::vector<tf::Tensor> w;
  for (int i = 0; i < count; ++i)
    w.push_back(tf::load_npy((dir / (prefix + "_w" + std::to_string(i) + ".npy")).string()));
  return w;
}

void fit_benchmarks(const std::filesystem::path& dir, int scale, std::vector<Row>& rows,
                    const std::function<void(Row&, const std::string&)>& fail) {
  std::vector<Fit> fits;
  fits.push_back({"digits-cnn", tf::load_npy((dir / "digits_x.npy").string()),
                  tf::load_npy((dir / "digits_y.npy").string()), load_weights(dir, "cnn", 6), 32,
                  std::max<int64_t>(3, 12 / scale)});
  fits.push_back({"mlp", tf::load_npy((dir / "mlp_x.npy").string()),
                  tf::load_npy((dir / "mlp_y.npy").string()), load_weights(dir, "mlp", 6), 128,
                  std::max<int64_t>(3, 7 / scale)});
  for (const Fit& f : fits) {
    const std::string workload = "keras fit " + f.name + " b" + std::to_string(f.batch);
    for (bool eager : {false, true}) {
      const std::string variant = eager ? "tfjit fit (run_eagerly)" : "tfjit fit (compiled)";
      std::fprintf(stderr, "[tfjit-bench] %s, %s: loss check, then %lld timed epochs...\n",
                   workload.c_str(), variant.c_str(), static_cast<long long>(f.epochs));
      Row row{workload, variant, -1, ""};
      try {
        std::vector<double> check_times, losses, times, dropout_losses;
        tf::config::clear_compile_cache();  // the check run's first epoch compiles cold
        run_fit(f, /*dropout=*/false, eager, 3, check_times, losses);
        run_fit(f, /*dropout=*/f.name == "digits-cnn", eager, f.epochs, times, dropout_losses);
        std::vector<double> steady(times.begin() + 1, times.end());
        std::sort(steady.begin(), steady.end());
        row = {workload,          variant,
               median_of(steady), fit_note(check_times.front(), times, losses),
               steady.front(),    steady.back()};
        if (!(losses.back() < losses.front())) fail(row, "the loss did not decrease: " + row.note);
      } catch (const std::exception& e) {
        fail(row, e.what());
      }
      rows.push_back(row);
    }
  }
}

// Adam on 10 variables of 1M float32: the update must read each parameter and its two slots and
// write them back, and read the gradient: 7 x 4 bytes x 10M per step.
void adam_benchmarks(int scale, std::vector<Row>& rows,
                     const std::function<void(Row&, const std::string&)>& fail) {
  constexpr int kVars = 10;
  constexpr int64_t kSize = 1 << 20;
  const std::string workload = "adam apply_gradients 10x1M";
  std::fprintf(stderr, "[tfjit-bench] %s: memcpy bound, one-pass loop, eager, tf::function...\n",
               workload.c_str());
  tf::random::set_seed(3);
  std::vector<tf::Tensor> init, grads;
  for (int i = 0; i < kVars; ++i) {
    init.push_back(tf::random::normal({kSize}));
    grads.push_back(tf::random::normal({kSize}, 0, 0.01));
  }
  std::vector<tf::Variable> eager_vars, compiled_vars, op_vars;
  for (int i = 0; i < kVars; ++i) {
    eager_vars.emplace_back(init[i] + 0.0f);
    compiled_vars.emplace_back(init[i] + 0.0f);
    op_vars.emplace_back(init[i] + 0.0f);
  }
  // Eager apply_gradients compiles each variable's update (Keras' jit_compile, the default);
  // op_opt is the op-by-op update it replaces.
  tf::keras::optimizers::Adam eager_opt(1e-3), compiled_opt(1e-3),
      op_opt(1e-3, {}, {.jit_compile = false});
  auto step = tf::function([&](const tf::Tensor& g0, const tf::Tensor& g1, const tf::Tensor& g2,
                               const tf::Tensor& g3, const tf::Tensor& g4, const tf::Tensor& g5,
                               const tf::Tensor& g6, const tf::Tensor& g7, const tf::Tensor& g8,
                               const tf::Tensor& g9) {
    compiled_opt.apply_gradients({g0, g1, g2, g3, g4, g5, g6, g7, g8, g9}, compiled_vars);
    return compiled_opt.iterations().read_value();
  });
  auto compiled = [&] {
    step(grads[0], grads[1], grads[2], grads[3], grads[4], grads[5], grads[6], grads[7], grads[8],
         grads[9]);
  };
  auto eager = [&] { eager_opt.apply_gradients(grads, eager_vars); };
  auto op_by_op = [&] { op_opt.apply_gradients(grads, op_vars); };

  // A hand-written one-pass update (Keras' formulation), single thread, on plain arrays
  // (vectorised: this file compiles with -fno-math-errno).
  std::vector<std::vector<float>> p(kVars), m(kVars), v(kVars);
  for (int i = 0; i < kVars; ++i) {
    p[i] = init[i].to_vector<float>();
    m[i].assign(kSize, 0.0f);
    v[i].assign(kSize, 0.0f);
  }
  std::vector<const float*> gp;
  for (auto& g : grads) gp.push_back(static_cast<const float*>(g.data()));
  int64_t loop_steps = 0;
  auto loop = [&] {
    ++loop_steps;
    const double t = static_cast<double>(loop_steps);
    const float alpha =
        static_cast<float>(1e-3 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)));
    for (int i = 0; i < kVars; ++i) {
      float *pp = p[i].data(), *mp = m[i].data(), *vp = v[i].data();
      const float* g = gp[i];
      for (int64_t k = 0; k < kSize; ++k) {
        mp[k] += (g[k] - mp[k]) * 0.1f;
        vp[k] += (g[k] * g[k] - vp[k]) * 0.001f;
        pp[k] -= alpha * mp[k] / (std::sqrt(vp[k]) + 1e-7f);
      }
    }
  };

  // Three steps of each from the same state must agree before anything is timed.
  for (int s = 0; s < 3; ++s) {
    eager();
    compiled();
    op_by_op();
    loop();
  }
  double worst_compiled = 0, worst_loop = 0, worst_eager = 0;
  for (int i = 0; i < kVars; ++i) {
    auto e = op_vars[i].read_value().to_vector<float>();
    auto c = compiled_vars[i].read_value().to_vector<float>();
    auto j = eager_vars[i].read_value().to_vector<float>();
    for (int64_t k = 0; k < kSize; ++k) {
      worst_compiled = std::max(worst_compiled, double(std::abs(c[k] - e[k])));
      worst_eager = std::max(worst_eager, double(std::abs(j[k] - e[k])));
      worst_loop = std::max(worst_loop, double(std::abs(p[i][k] - e[k])));
    }
  }

  // The bound: memcpy of 140 MB reads 140 MB and writes 140 MB, the 280 MB a step moves.
  const int64_t floats = 7 * kVars * kSize / 2;
  std::vector<float> src(floats, 1.0f), dst(floats, 0.0f);
  const int n = std::max(2, 10 / scale);
  Timing copy = time_stats([&] { std::memcpy(dst.data(), src.data(), floats * 4); }, n);
  // The update's own access pattern with trivial arithmetic (read g, p, m, v; write p, m, v):
  // what one pass reaches here (faster than glibc's memcpy of 140 MB on this machine).
  std::vector<std::vector<float>> tp(p), tm(m), tv(v);
  Timing traffic = time_stats(
      [&] {
        for (int i = 0; i < kVars; ++i) {
          float *pp = tp[i].data(), *mp = tm[i].data(), *vp = tv[i].data();
          const float* g = gp[i];
          for (int64_t k = 0; k < kSize; ++k) {
            mp[k] += g[k];
            vp[k] += g[k];
            pp[k] -= g[k];
          }
        }
      },
      n);
  const double bytes = 7.0 * 4 * kVars * kSize;
  auto note = [&](double us) {
    std::ostringstream s;
    s.precision(3);
    s << bytes / us / 1e3 << " GB/s, " << copy.median / us * 100 << "% of memcpy, "
      << traffic.median / us * 100 << "% of the same-traffic loop";
    return s.str();
  };
  rows.push_back(
      {workload, "memcpy 280 MB (bound)", copy.median, note(copy.median), copy.min, copy.max});
  rows.push_back({workload, "same traffic, trivial arithmetic (p, m, v += g)", traffic.median,
                  note(traffic.median), traffic.min, traffic.max});
  Timing t_loop = time_stats(loop, n);
  rows.push_back({workload, "hand-written one-pass loop", t_loop.median, note(t_loop.median),
                  t_loop.min, t_loop.max});
  Timing t_op = time_stats(op_by_op, n);
  rows.push_back({workload, "tfjit eager, jit_compile=false (op by op)", t_op.median,
                  note(t_op.median), t_op.min, t_op.max});
  Timing t_eager = time_stats(eager, n);
  rows.push_back(
      {workload, "tfjit eager", t_eager.median, note(t_eager.median), t_eager.min, t_eager.max});
  if (!(worst_eager < 1e-6))
    fail(rows.back(), "after 3 steps the eager update differs from the op-by-op one by " +
                          std::to_string(worst_eager));
  Timing t_compiled = time_stats(compiled, n);
  rows.push_back({workload, "tfjit tf::function", t_compiled.median,
                  note(t_compiled.median) + "; trace count " + std::to_string(step.trace_count()),
                  t_compiled.min, t_compiled.max});
  if (!(worst_compiled < 1e-6)) {
    fail(rows.back(), "after 3 steps the compiled update differs from the op-by-op one by " +
                          std::to_string(worst_compiled));
  }
  if (!(worst_loop < 1e-6)) {
    fail(rows[rows.size() - 4],  // the loop's row
         "after 3 steps the loop differs from tfjit's op-by-op update by " +
             std::to_string(worst_loop));
  }
}

// tf::data over the MLP data: one pass, per batch, against plain loops slicing the same batches.
void data_benchmarks(const tf::Tensor& x, const tf::Tensor& y, int scale, std::vector<Row>& rows) {
  const int64_t n = x.shape()[0], batch = 128, batches = (n + batch - 1) / batch;
  const std::string workload = "tf::data " + std::to_string(n) + "x" +
                               std::to_string(x.shape()[1]) + " b" + std::to_string(batch);
  std::fprintf(stderr, "[tfjit-bench] %s: plain loops, pipelines...\n", workload.c_str());
  const int passes = std::max(2, 10 / scale);
  volatile float sink = 0;  // touch each batch, so a lazy view would still be read
  auto touch = [&](const tf::Tensor& a, const tf::Tensor& b) {
    sink = sink + static_cast<const float*>(a.data())[0] + static_cast<float>(b.num_elements());
  };
  auto per_batch = [&](const std::function<void()>& pass) { return time_stats(pass, passes); };
  auto add = [&](const std::string& variant, Timing t, const std::string& note) {
    rows.push_back({workload, variant, t.median / batches, note, t.min / batches, t.max / batches});
  };
  const size_t row_bytes = x.shape()[1] * sizeof(float);
  std::vector<float> buffer(batch * x.shape()[1]);
  const auto* xp = static_cast<const float*>(x.data());
  add("memcpy of each batch's bytes", per_batch([&] {
        for (int64_t b = 0; b < n; b += batch)
          std::memcpy(buffer.data(), xp + b * x.shape()[1], std::min(batch, n - b) * row_bytes);
        sink = sink + buffer[0];
      }),
      "the x rows only");
  add("plain loop x(tf::slice(b, e)), y(...)", per_batch([&] {
        for (int64_t b = 0; b < n; b += batch) {
          int64_t e = std::min(n, b + batch);
          touch(x(tf::slice(b, e)), y(tf::slice(b, e)));
        }
      }),
      "reference");
  tf::Tensor order = tf::argsort(tf::random::uniform({n}));
  add("plain loop tf::gather(x, order[b:e])", per_batch([&] {
        for (int64_t b = 0; b < n; b += batch) {
          tf::Tensor idx = order(tf::slice(b, std::min(n, b + batch)));
          touch(tf::gather(x, idx), tf::gather(y, idx));
        }
      }),
      "reference for shuffled batches");
  auto base = tf::data::Dataset::from_tensor_slices({x, y});
  const std::pair<const char*, tf::data::Dataset> pipelines[] = {
      {"from_tensor_slices.batch(128)", base.batch(batch)},
      {"from_tensor_slices.shuffle(n, 1).batch(128)", base.shuffle(n, 1).batch(batch)},
      {"from_tensor_slices.batch(128).prefetch(2)", base.batch(batch).prefetch(2)},
      {"from_tensor_slices.shuffle(n, 1).batch(128).prefetch(2)",
       base.shuffle(n, 1).batch(batch).prefetch(2)},
  };
  add("from_tensor_slices, unbatched (128 elements)", per_batch([&] {
        for (const tf::data::Element& e : base) touch(e[0], e[1]);
      }),
      "the slicing alone: what batch(128) stacks");
  for (const auto& [name, ds] : pipelines) {
    add(name, per_batch([&] {
          for (const tf::data::Element& e : ds) touch(e[0], e[1]);
        }),
        "");
  }
}

}  // namespace

void keras_benchmarks(const std::string& data_dir, int scale, std::vector<Row>& rows,
                      const std::function<void(Row&, const std::string&)>& fail) {
  std::filesystem::path dir = data_dir;
  if (!data_dir.empty()) {
    // No compiled code from earlier runs: the first epoch is a cold compile.
    const bool saved = tf::config::disk_cache_enabled();
    tf::config::enable_disk_cache(false);
    try {
      fit_benchmarks(dir, scale, rows, fail);
    } catch (const std::exception& e) {
      Row row{"keras fit", "(loading " + data_dir + ")", -1, ""};
      fail(row, e.what());
      rows.push_back(row);
    }
    tf::config::enable_disk_cache(saved);
  } else {
    std::fprintf(stderr,
                 "[tfjit-bench] no fit rows: give --data DIR (written by "
                 "scripts/peers/keras_peers.py)\n");
  }
  adam_benchmarks(scale, rows, fail);
  tf::Tensor x, y;
  if (!data_dir.empty() && std::filesystem::exists(dir / "mlp_x.npy")) {
    x = tf::load_npy((dir / "mlp_x.npy").string());
    y = tf::load_npy((dir / "mlp_y.npy").string());
  } else {
    tf::random::set_seed(4);
    x = tf::random::normal({12800, 784});
    y = tf::random::uniform({12800}, 0, 10, tf::int32);
  }
  data_benchmarks(x, y, scale, rows);
}
