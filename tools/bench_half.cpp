// 16-bit float elementwise ops, compiled and eager, against the same op compiled in float32 (the
// reference, same run): 16-bit ops compute in float32, so only the conversions should cost more.
#include <sstream>

#include "tools/bench.h"

void half_benchmarks(int scale, std::vector<Row>& rows,
                     const std::function<void(Row&, const std::string&)>& fail) {
  const int64_t n = int64_t{1} << 16;  // 64K elements: in cache, so conversions are not hidden
  using Op = tf::Tensor (*)(const tf::Tensor&, const tf::Tensor&);
  const std::pair<const char*, Op> ops[] = {
      {"add", [](const tf::Tensor& a, const tf::Tensor& b) { return tf::add(a, b); }},
      {"maximum", [](const tf::Tensor& a, const tf::Tensor& b) { return tf::maximum(a, b); }},
      {"relu", [](const tf::Tensor& a, const tf::Tensor&) { return tf::nn::relu(a); }},
      {"abs", [](const tf::Tensor& a, const tf::Tensor&) { return tf::abs(a); }},
      {"where(a > b, a, b)",
       [](const tf::Tensor& a, const tf::Tensor& b) { return tf::where(tf::greater(a, b), a, b); }},
      {"tanh", [](const tf::Tensor& a, const tf::Tensor&) { return tf::tanh(a); }},
  };
  tf::random::set_seed(3);
  const auto x32 = tf::random::normal({n}), y32 = tf::random::normal({n});
  const int iters = std::max(10, 300 / scale);
  for (const auto& [name, op] : ops) {
    const std::string workload = std::string("16-bit ") + name + " 64K";
    std::fprintf(stderr, "[tfjit-bench] %s (float32, bfloat16, float16; compiled and eager)...\n",
                 workload.c_str());
    double reference = -1;
    for (tf::DType dtype : {tf::float32, tf::bfloat16, tf::float16}) {
      const auto x = tf::cast(x32, dtype), y = tf::cast(y32, dtype);
      auto compiled = tf::function(op);
      const std::string d(tf::dtype_name(dtype));
      Row c{workload, d + " compiled", time_us([&] { compiled(x, y); }, iters), ""};
      Row e{workload, d + " eager", time_us([&] { op(x, y); }, iters), ""};
      if (dtype == tf::float32) reference = c.us;
      for (Row* r : {&c, &e}) {
        std::ostringstream note;
        note.precision(3);
        note << r->us / reference << "x float32 compiled";
        r->note = note.str();
      }
      rows.push_back(c);
      rows.push_back(e);
      // Compiled must compute what eager does (to the dtype's rounding).
      auto diff = tf::reduce_max(tf::abs(tf::cast(compiled(x, y), tf::float32) -
                                         tf::cast(op(x, y), tf::float32)))
                      .item<float>();
      if (!(diff <= 0.02f))
        fail(rows[rows.size() - 2], "compiled differs from eager by " + std::to_string(diff));
    }
  }
}
