#include <dnnl.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
int main() {
  struct S {
    long m, k, n;
  };
  for (S s : {S{1024, 1024, 256}, S{256, 1024, 1024}, S{1024, 256, 1024}, S{1024, 256, 256},
              S{256, 1024, 256}}) {
    std::vector<float> a(s.m * s.k, 0.5f), b(s.k * s.n, 0.25f), c(s.m * s.n);
    for (size_t i = 0; i < a.size(); ++i) a[i] = (i % 7) * 0.1f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = (i % 5) * 0.1f;
    for (int t = 0; t < 4; ++t) {
      bool ta = t & 1, tb = t & 2;
      double best = 1e9, sum = 0;
      for (int r = 0; r < 12; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', s.m, s.n, s.k, 1.f, a.data(), ta ? s.m : s.k,
                   b.data(), tb ? s.k : s.n, 0.f, c.data(), s.n);
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                        .count();
        if (r >= 2) {
          best = std::min(best, us);
          sum += us;
        }
      }
      std::printf("%ld %ld %ld %c%c min %.0f us (%.1f GF/s) mean %.0f\n", s.m, s.k, s.n,
                  ta ? 'T' : 'N', tb ? 'T' : 'N', best, 2.0 * s.m * s.k * s.n / best / 1e3,
                  sum / 10);
    }
  }
}
