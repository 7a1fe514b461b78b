// Keras' progress bar: "12/45 [=======>......] - ETA: 3s - loss: 0.2100 - accuracy: 0.9400",
// redrawn in place on a terminal (at most every 50 ms), one final line otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tfjit/keras/model.h"

namespace tf::keras::detail {

class ProgressBar {
 public:
  // verbose: 0 silent, 1 a bar (redrawn on a terminal), 2 only the final line. steps < 0: an
  // unknown total (a dataset of unknown cardinality), counted as Keras does: "12/Unknown".
  ProgressBar(int64_t steps, int verbose);
  void update(int64_t done, const Logs& logs);
  // The final line, with extra logs (validation) appended.
  void finish(const Logs& logs);

 private:
  std::string line(int64_t done, const Logs& logs, bool final) const;
  int64_t steps_;
  int verbose_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  size_t last_width_ = 0;
  int64_t done_ = 0;  // the latest update's count (the final one when the total is unknown)
};

// Keras' "auto" verbosity: a bar on a terminal, one line per epoch otherwise.
int resolve_verbose(int verbose);

}  // namespace tf::keras::detail
