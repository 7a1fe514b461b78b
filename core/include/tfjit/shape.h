// TensorShape: the dimensions of a tensor, and Axes: the axes an op works along. `kUnknownDim`
// marks a dimension known only at run time (in a tf::TensorSpec); concrete tensors never contain
// it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "tfjit/export.h"

TFJIT_API_BEGIN
namespace tf {

inline constexpr int64_t kUnknownDim = -1;

class TensorShape {
 public:
  TensorShape() = default;
  TensorShape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit TensorShape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}
  template <class It>
  TensorShape(It first, It last) : dims_(first, last) {}

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t operator[](int64_t i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int64_t i) { return dims_[static_cast<size_t>(i)]; }
  // Product of the dimensions; 1 for a scalar.
  int64_t num_elements() const {
    int64_t n = 1;
    for (int64_t d : dims_) n *= d;
    return n;
  }
  const std::vector<int64_t>& dims() const { return dims_; }
  // No unknown dims (every concrete tensor's shape is fully defined).
  bool is_fully_defined() const {
    for (int64_t d : dims_)
      if (d == kUnknownDim) return false;
    return true;
  }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  // "(2, 3)", "(3,)", "()" as TensorFlow prints shapes.
  std::string to_string() const;
  friend bool operator==(const TensorShape&, const TensorShape&) = default;

 private:
  std::vector<int64_t> dims_;
};

// Reduction axes, as TensorFlow's `axis` argument: None (every axis) by default or with `{}`,
// one axis (`0`, `-1`), or a list (`{0, 2}`); negative axes count from the end.
struct Axes {
  Axes() = default;
  Axes(std::nullopt_t) {}
  Axes(int64_t axis) : list(std::vector<int64_t>{axis}) {}
  Axes(std::initializer_list<int64_t> axes) : list(std::vector<int64_t>(axes)) {}
  Axes(std::vector<int64_t> axes) : list(std::move(axes)) {}
  std::optional<std::vector<int64_t>> list;  // nullopt: all axes
};

}  // namespace tf
TFJIT_API_END
