// tf::Tensor: an immutable handle to a reference-counted, 64-byte-aligned buffer with a shape,
// a dtype and a device. Copying a Tensor copies the handle, never the data.
#pragma once

#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tfjit/dtype.h"
#include "tfjit/errors.h"
#include "tfjit/shape.h"

namespace tf {

namespace detail {
struct TensorImpl;
}

class Tensor {
 public:
  Tensor() = default;  // a null handle; using it raises InvalidArgumentError
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

  const TensorShape& shape() const;
  int64_t ndim() const { return shape().rank(); }
  DType dtype() const;
  // TensorFlow's full device name, e.g. "/job:localhost/replica:0/task:0/device:CPU:0".
  std::string device() const;
  int64_t num_elements() const { return shape().num_elements(); }
  // True while tracing a tf::function: the tensor is a graph value with no data yet.
  bool is_symbolic() const;

  // The single element, as T (T must be the tensor's dtype's C++ type).
  template <class T>
  T item() const {
    T out{};
    copy_to_host(&out, dtype_of_v<T>, 1, "item");
    return out;
  }
  // All elements in row-major order, copied to the host.
  template <class T>
  std::vector<T> to_vector() const {
    if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: unpack from bytes
      std::vector<uint8_t> bytes(static_cast<size_t>(num_elements()));
      copy_to_host(bytes.data(), bool_, bytes.size(), "to_vector");
      return std::vector<bool>(bytes.begin(), bytes.end());
    } else {
      std::vector<T> out(static_cast<size_t>(num_elements()));
      copy_to_host(out.data(), dtype_of_v<T>, out.size(), "to_vector");
      return out;
    }
  }
  // Raw host data of a CPU tensor, row-major, 64-byte aligned.
  const void* data() const;

  const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }
  bool defined() const { return impl_ != nullptr; }

 private:
  void copy_to_host(void* dst, DType dst_dtype, size_t count, const char* what) const;
  const detail::TensorImpl& checked() const;
  std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);
// The same text that operator<< prints: tf.Tensor([1. 2.], shape=(2,), dtype=float32).
std::string to_string(const Tensor& t);

namespace detail {
// Makes a CPU tensor of `dtype` from `count` elements of `src_dtype` at `src`, converting
// element by element. Used by the typed creation templates below.
Tensor make_tensor(const void* src, DType src_dtype, size_t count, TensorShape shape, DType dtype);
// Element storage while flattening (std::vector<bool> has no contiguous data).
template <class T>
using Stored = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
template <class T>
using Flat = std::pair<std::vector<Stored<T>>, std::vector<int64_t>>;
inline void record_dim(std::vector<int64_t>& dims, size_t depth, size_t size) {
  if (dims.size() <= depth)
    dims.push_back(static_cast<int64_t>(size));
  else if (dims[depth] != static_cast<int64_t>(size))
    throw InvalidArgumentError("constant: ragged nested list (rows of different lengths)");
}
// Flattens nested initializer lists, rejecting ragged ones.
template <class T>
void flatten(std::initializer_list<T> l, Flat<T>& out, size_t depth) {
  record_dim(out.second, depth, l.size());
  out.first.insert(out.first.end(), l.begin(), l.end());
}
template <class T, class L>
requires(!std::is_same_v<L, T>) void flatten(std::initializer_list<L> l, Flat<T>& out,
                                             size_t depth) {
  record_dim(out.second, depth, l.size());
  for (auto& inner : l) flatten<T>(inner, out, depth + 1);
}
template <class L, class T>
Tensor constant_from_list(L list, std::optional<DType> dtype) {
  Flat<T> flat;
  flatten<T>(list, flat, 0);
  auto count = flat.first.size();
  return make_tensor(flat.first.data(), dtype_of_v<T>, count, TensorShape(flat.second),
                     dtype.value_or(literal_dtype<T>()));
}
}  // namespace detail

// --- Creation --------------------------------------------------------------------------------
// Scalars and nested lists follow TensorFlow's literal rules: `int` -> int32, `double` ->
// float32 (like Python literals); other C++ types keep their own dtype.
template <class T>
requires(std::is_arithmetic_v<T>) Tensor
    constant(T value, std::optional<DType> dtype = std::nullopt) {
  return detail::make_tensor(&value, dtype_of_v<T>, 1, {}, dtype.value_or(literal_dtype<T>()));
}
inline Tensor constant(std::string value) {
  return detail::make_tensor(&value, string, 1, {}, string);
}
template <class T>
Tensor constant(std::initializer_list<T> v, std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<decltype(v), T>(v, dtype);
}
template <class T>
Tensor constant(std::initializer_list<std::initializer_list<T>> v,
                std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<decltype(v), T>(v, dtype);
}
template <class T>
Tensor constant(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v,
                std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<decltype(v), T>(v, dtype);
}
// Typed data keeps its dtype (as NumPy arrays do in TensorFlow). With a shape, the data is laid
// out row-major in it; a single value is broadcast to fill the shape.
template <class T>
Tensor constant(const std::vector<T>& data, std::optional<TensorShape> shape = std::nullopt,
                std::optional<DType> dtype = std::nullopt) {
  TensorShape s = shape.value_or(TensorShape{static_cast<int64_t>(data.size())});
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: unpack it first
    std::vector<uint8_t> bytes(data.begin(), data.end());
    return detail::make_tensor(bytes.data(), bool_, bytes.size(), std::move(s),
                               dtype.value_or(bool_));
  } else {
    return detail::make_tensor(data.data(), dtype_of_v<T>, data.size(), std::move(s),
                               dtype.value_or(dtype_of_v<T>));
  }
}

Tensor zeros(const TensorShape& shape, DType dtype = float32);
Tensor ones(const TensorShape& shape, DType dtype = float32);
// A tensor of `shape` filled with `value` (converted to `dtype`).
Tensor fill(const TensorShape& shape, double value, DType dtype = float32);

// Number of elements, as TensorFlow's tf.size (an int32 scalar tensor).
Tensor size(const Tensor& t);

}  // namespace tf
