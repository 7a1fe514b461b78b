// The scikit-learn digits (1797 8x8 images, examples/data/make_digits.py): 1437 to train on,
// 360 to test, pixels scaled from 0..16 to 0..1.
#pragma once

#include <tfjit/tfjit.h>

#include <string>

struct Digits {
  tf::Tensor x_train, y_train, x_test, y_test;
};

inline Digits load_digits(const std::string& dir = TFJIT_EXAMPLES_DATA_DIR) {
  auto images = [&](const std::string& name) {
    return tf::cast(tf::load_npy(dir + "/" + name), tf::float32) / 16.0f;
  };
  return {images("digits_train_x.npy"), tf::load_npy(dir + "/digits_train_y.npy"),
          images("digits_test_x.npy"), tf::load_npy(dir + "/digits_test_y.npy")};
}
