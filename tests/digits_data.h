// The digits data set of the examples (examples/data/make_digits.py), pixels scaled to [0, 1].
#pragma once

#include <tfjit/tfjit.h>

#include <string>

namespace tft {

struct Digits {
  tf::Tensor x, y, x_test, y_test;
};

inline Digits digits() {
  const std::string dir = std::string(TFJIT_GOLDEN_DIR) + "/../../examples/data/";
  auto images = [&](const std::string& f) {
    return tf::cast(tf::load_npy(dir + f), tf::float32) / 16.0f;
  };
  return {images("digits_train_x.npy"), tf::load_npy(dir + "digits_train_y.npy"),
          images("digits_test_x.npy"), tf::load_npy(dir + "digits_test_y.npy")};
}

}  // namespace tft
