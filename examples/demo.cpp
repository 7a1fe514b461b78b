// The main demo: the TensorFlow "core primitives" tutorial's first examples, eagerly and through
// tf::function, with eager/graph timings.
#include <tfjit/tfjit.h>

#include <chrono>
#include <iostream>

namespace {

template <class F>
double mean_us(F&& f, int iterations) {
  f();  // warm-up (and, for a tf::function, the trace and compile)
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) f();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
             .count() /
         iterations;
}

}  // namespace

int main() {
  std::cout << "== Devices ==\n";
  for (const auto& d : tf::config::list_physical_devices()) std::cout << d.name << "\n";
  if (!tf::test::is_gpu_available()) {
    const std::string reason = tf::test::gpu_unavailable_reason();
    std::cout << "(no GPU: " << reason << ")\n";
  }
  std::cout << "\n== Tensors, eagerly ==\n";
  auto x = tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  std::cout << x << "\n";
  std::cout << "x.shape() = " << x.shape().to_string() << ", dtype = " << tf::dtype_name(x.dtype())
            << ", device = " << x.device() << "\n";
  std::cout << "x + x =\n" << x + x << "\n";
  std::cout << "5 * x =\n" << 5.0f * x << "\n";
  std::cout << "x @ transpose(x) =\n"
            << tf::matmul(x, tf::constant({{1.0f, 4.0f}, {2.0f, 5.0f}, {3.0f, 6.0f}})) << "\n";
  std::cout << "reduce_sum(x) = " << tf::reduce_sum(x) << "\n";
  std::cout << "reduce_sum(x, axis=0) = " << tf::reduce_sum(x, 0) << "\n";
  std::cout << "int32 tensor: " << tf::constant({1, 2, 3}) << "\n";
  try {
    tf::add(tf::constant({1, 2, 3}), tf::constant({1.0f, 2.0f, 3.0f}));
  } catch (const tf::InvalidArgumentError& e) {
    std::cout << "int32 + float32 raises InvalidArgumentError: " << e.what() << "\n";
  }

  std::cout << "\n== tf::function ==\n";
  auto f = tf::function([](const tf::Tensor& t) { return t * t + 2.0f * t + 1.0f; });
  std::cout << "f(x) = x*x + 2x + 1 =\n" << f(x) << "\n";
  std::cout << "traced graph:\n" << f.graph("traced", x) << "\n";
  std::cout << "first call (trace + compile): " << f.cache_stats().last_compile_ms << " ms\n";
  f(x + 1.0f);
  std::cout << "same signature again: trace_count = " << f.trace_count() << "\n";
  f(tf::constant({1.0f, 2.0f}));
  std::cout << "new shape (2,): trace_count = " << f.trace_count() << "\n";

  std::cout << "\n== Eager vs graph: 500x500 matmul (the tutorial's comparison) ==\n";
  auto a = tf::fill({500, 500}, 0.01);
  auto mm = [](const tf::Tensor& m) { return tf::matmul(m, m); };
  auto mm_graph = tf::function(mm);
  double eager = mean_us([&] { mm(a); }, 200), graph = mean_us([&] { mm_graph(a); }, 200);
  std::cout << "eager " << eager << " us/call, tf::function " << graph << " us/call, ratio "
            << eager / graph << "\n";

  std::cout << "\n== Eager vs graph: x*x + 2x + 1 over 4M floats ==\n";
  auto big = tf::fill({4 << 20}, 0.5);
  auto chain = [](const tf::Tensor& t) { return t * t + 2.0f * t + 1.0f; };
  auto chain_graph = tf::function(chain);
  eager = mean_us([&] { chain(big); }, 20);
  graph = mean_us([&] { chain_graph(big); }, 20);
  std::cout << "eager " << eager << " us/call, tf::function (fused) " << graph
            << " us/call, speedup " << eager / graph << "x\n";
  return 0;
}
