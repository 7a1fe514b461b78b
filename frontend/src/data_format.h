// The data_format and per-dim argument conventions that tf.nn's pooling and convolutions share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tfjit/errors.h"

namespace tf::detail {

// Where the channels are: the last dim ("NHWC", "N...C", or empty), or dim 1 ("NCHW").
inline bool channels_first(const std::string& op, std::string_view format, int64_t rank) {
  if (format.empty()) return false;
  const bool first = format.size() >= 2 && format[1] == 'C';
  if (static_cast<int64_t>(format.size()) != rank || format[0] != 'N' ||
      (!first && format.back() != 'C'))
    throw InvalidArgumentError(op + ": data_format '" + std::string(format) +
                               "' does not describe a rank-" + std::to_string(rank) +
                               " input (e.g. NHWC or NCHW)");
  return first;
}

// ksize / strides / dilations as one entry per input dim (1 at batch and channels), from one
// value for every spatial dim, one per spatial dim, or one per input dim, as TensorFlow accepts.
inline std::vector<int64_t> per_dim(const std::string& op, const char* what,
                                    const std::vector<int64_t>& v, int64_t rank, bool first) {
  const int64_t spatial = rank - 2;
  std::vector<int64_t> full(static_cast<size_t>(rank), 1);
  const int64_t offset = first ? 2 : 1;
  if (v.size() == 1 || static_cast<int64_t>(v.size()) == spatial) {
    for (int64_t d = 0; d < spatial; ++d)
      full[static_cast<size_t>(offset + d)] = v[v.size() == 1 ? 0 : static_cast<size_t>(d)];
  } else if (static_cast<int64_t>(v.size()) == rank) {
    const size_t channel = first ? 1 : static_cast<size_t>(rank - 1);
    if (v[0] != 1 || v[channel] != 1)
      throw UnimplementedError(op + ": " + what +
                               " other than 1 at the batch or channel dimension");
    full = v;
  } else {
    throw InvalidArgumentError(op + ": " + what + " needs 1, " + std::to_string(spatial) + " or " +
                               std::to_string(rank) + " values, got " + std::to_string(v.size()));
  }
  return full;
}

// The spatial entries of a per-dim list.
inline std::vector<int64_t> spatial_of(const std::vector<int64_t>& full, bool first) {
  return first ? std::vector<int64_t>(full.begin() + 2, full.end())
               : std::vector<int64_t>(full.begin() + 1, full.end() - 1);
}

}  // namespace tf::detail
