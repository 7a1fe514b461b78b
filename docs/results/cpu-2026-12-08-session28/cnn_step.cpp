#include <algorithm>
#include <chrono>
#include <cstdio>
#include "workloads.h"
int main(int argc, char** argv) {
  tf::config::threading::set_intra_op_parallelism_threads(1);
  for (int which : {0, 1}) {
    workloads::Cnn m =
        which == 0 ? workloads::Cnn(28, 1, 16, 32, 32) : workloads::Cnn(32, 3, 32, 64, 32);
    auto f = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) { return m.step(x, y); });
    auto t0 = std::chrono::steady_clock::now();
    f(m.x, m.y);
    double compile =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    for (int i = 0; i < 30; ++i) f(m.x, m.y);  // layouts learnt
    std::vector<double> b;
    int n = which == 0 ? 40 : 10;
    for (int r = 0; r < 9; ++r) {
      auto s = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) f(m.x, m.y);
      b.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s).count() /
          n);
    }
    std::sort(b.begin(), b.end());
    std::printf("%s: first call %.0f ms, step min %.0f median %.0f us\n", m.name.c_str(), compile,
                b[0], b[4]);
  }
}
