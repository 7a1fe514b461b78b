#include <tfjit/tfjit.h>

#include <iostream>

int main() {
  auto square = tf::function([](const tf::Tensor& x) { return x * x; });
  float eager = tf::reduce_sum(tf::constant({1.0f, 2.0f, 3.0f})).item<float>();
  float graph = square(tf::constant(4.0f)).item<float>();
  std::cout << "eager " << eager << ", graph " << graph << "\n";
  return eager == 6.0f && graph == 16.0f ? 0 : 1;
}
