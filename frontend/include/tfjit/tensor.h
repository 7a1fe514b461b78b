// tf::Tensor: an immutable handle to a reference-counted, 64-byte-aligned buffer with a shape,
// a dtype and a device. Copying a Tensor copies the handle, never the data.
#pragma once

#include <concepts>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjit/dtype.h"
#include "tfjit/errors.h"
#include "tfjit/export.h"
#include "tfjit/shape.h"

TFJIT_API_BEGIN
namespace tf {

namespace detail {
struct TensorImpl;
}

// --- Indexing: t(1), t(-1, tf::all), t(tf::slice(0, 2), tf::newaxis), t(tf::ellipsis, 0) ---------
struct AllTag {};
struct NewAxisTag {};
struct EllipsisTag {};
inline constexpr AllTag all{};
inline constexpr NewAxisTag newaxis{};
inline constexpr EllipsisTag ellipsis{};

// One entry of an index expression, with NumPy / TensorFlow strided-slice semantics.
struct Index {
  enum class Kind { kInteger, kSlice, kNewAxis, kEllipsis };
  Kind kind = Kind::kSlice;
  int64_t start = 0, stop = 0, step = 1;  // for kInteger, `start` is the index
  bool has_start = false, has_stop = false;

  Index(int64_t i) : kind(Kind::kInteger), start(i), has_start(true) {}
  Index(int i) : Index(static_cast<int64_t>(i)) {}
  Index(AllTag) {}
  Index(NewAxisTag) : kind(Kind::kNewAxis) {}
  Index(EllipsisTag) : kind(Kind::kEllipsis) {}
  Index(Kind k, int64_t b, int64_t e, int64_t s, bool hb, bool he)
      : kind(k), start(b), stop(e), step(s), has_start(hb), has_stop(he) {}
};
// start:stop:step as in Python; std::nullopt for an omitted bound. Negative values count from
// the end; bounds are clamped, as in NumPy; a zero step is an InvalidArgumentError.
inline Index slice(std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step = 1) {
  return Index(Index::Kind::kSlice, start.value_or(0), stop.value_or(0), step, start.has_value(),
               stop.has_value());
}

class Tensor;
namespace detail {
Tensor index(const Tensor& t, const std::vector<Index>& indices);
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

  // Indexing and slicing (a new tensor, as tf.Tensor.__getitem__): integers remove a
  // dimension, slices keep it, tf::newaxis inserts one, tf::ellipsis stands for the rest.
  template <class... I>
  Tensor operator()(const I&... indices) const {
    return detail::index(*this, std::vector<Index>{Index(indices)...});
  }
  // One index, as Python writes it: tf::shape(x)[0], t[tf::slice(1, std::nullopt)].
  Tensor operator[](const Index& index) const { return detail::index(*this, {index}); }

  const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }
  bool defined() const { return impl_ != nullptr; }
  // A null handle that says why it is null (a None gradient names its variable): the reason is
  // part of the error raised where it is used, and null_reason() returns it (else empty).
  static Tensor null_because(std::string_view reason);
  std::string_view null_reason() const;

 private:
  void copy_to_host(void* dst, DType dst_dtype, size_t count, const char* what) const;
  const detail::TensorImpl& checked() const;
  std::shared_ptr<detail::TensorImpl> impl_;
  uint32_t null_reason_ = 0;  // 0: none given; else an interned reason (tensor.cpp)
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);
// `std::cout << t.shape()` prints (2, 3); `<< t.dtype()` prints float32.
std::ostream& operator<<(std::ostream& os, const TensorShape& shape);
std::ostream& operator<<(std::ostream& os, DType dtype);
// The same text that operator<< prints: tf.Tensor([1. 2.], shape=(2,), dtype=float32).
std::string to_string(const Tensor& t);

// A scalar of x's dtype holding `value`; raises InvalidArgumentError if `value` is not exactly
// representable in that dtype (1.5 for an int32 tensor), as TensorFlow does.
Tensor scalar_like(const Tensor& x, double value);

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
// tf::constant({"a", "b"}): a 1-D string tensor.
inline Tensor constant(std::initializer_list<const char*> values) {
  std::vector<std::string> v(values.begin(), values.end());
  return detail::make_tensor(v.data(), string, v.size(),
                             TensorShape{static_cast<int64_t>(v.size())}, string);
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
// `tf::constant(std::vector<float>{...}, {2, 3})`.
template <class T>
Tensor constant(const std::vector<T>& data, const TensorShape& shape,
                std::optional<DType> dtype = std::nullopt) {
  TensorShape s = shape;
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: unpack it first
    std::vector<uint8_t> bytes(data.begin(), data.end());
    return detail::make_tensor(bytes.data(), bool_, bytes.size(), std::move(s),
                               dtype.value_or(bool_));
  } else {
    return detail::make_tensor(data.data(), dtype_of_v<T>, data.size(), std::move(s),
                               dtype.value_or(dtype_of_v<T>));
  }
}
template <class T>
Tensor constant(const std::vector<T>& data) {
  return constant(data, TensorShape{static_cast<int64_t>(data.size())});
}

Tensor zeros(const TensorShape& shape, DType dtype = float32);
Tensor ones(const TensorShape& shape, DType dtype = float32);
// A tensor of `shape` filled with `value` (converted to `dtype`).
Tensor fill(const TensorShape& shape, double value, DType dtype = float32);
// Without a dtype, TensorFlow's literal rules: tf::fill({2, 2}, 7) is int32, 7.0 float32;
// an int64_t keeps all its bits.
template <class T>
requires std::is_arithmetic_v<T> && HasDType<T> Tensor fill(const TensorShape& shape, T value) {
  return constant(std::vector<T>{value}, shape, literal_dtype<T>());
}

namespace detail {
// A shape given as a 1-D integer tensor (TensorFlow's shape arguments: tf::shape(x), or
// arithmetic on it), read on the host. Inside a tf::function its values must be known while
// tracing (tf::shape of a tensor with static dims is); one computed from unknown dims raises
// UnimplementedError naming `op`.
std::vector<int64_t> shape_values(std::string_view op, const Tensor& shape);
// The ops taking a shape tensor (frontend/src/runtime_shapes.cpp). Inside a tf::function its
// elements may also be run-time sizes: tf::shape(y) of unknown dims, indexed, stacked or
// concatenated with known sizes (TensorFlow's tf.reshape(x, [tf.shape(x)[0], -1, h, d])).
Tensor reshape_to(const Tensor& x, const Tensor& shape);
Tensor broadcast_to_shape(std::string_view op, const Tensor& x, const Tensor& shape);
// The same for a scalar int32 or int64 tensor (a size, a limit).
int64_t scalar_value(std::string_view op, const Tensor& scalar);
}  // namespace detail
// The same, with the shape as a tensor (templates, so that {} and {2, 3} stay TensorShapes).
template <std::same_as<Tensor> S>
Tensor zeros(const S& shape, DType dtype = float32) {
  return detail::broadcast_to_shape("zeros", zeros({}, dtype), shape);
}
template <std::same_as<Tensor> S>
Tensor ones(const S& shape, DType dtype = float32) {
  return detail::broadcast_to_shape("ones", ones({}, dtype), shape);
}
template <std::same_as<Tensor> S, class T>
requires std::is_arithmetic_v<T> Tensor fill(const S& shape, T value) {
  return detail::broadcast_to_shape("fill", fill(TensorShape{}, value), shape);
}
template <std::same_as<Tensor> S>
Tensor fill(const S& shape, double value, DType dtype) {
  return detail::broadcast_to_shape("fill", fill(TensorShape{}, value, dtype), shape);
}

// Number of elements, as TensorFlow's tf.size (an int32 scalar tensor).
Tensor size(const Tensor& t);

}  // namespace tf
TFJIT_API_END
