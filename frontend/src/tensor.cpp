// Tensor accessors and creation.
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "frontend/src/placement.h"
#include "frontend/src/tensor_impl.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "runtime/gpu.h"
#include "runtime/kernels.h"
#include "tfjit/ops.h"
#include "tfjit/tensor.h"

namespace tf {

namespace {
// Reasons are interned, so a Tensor carries 4 bytes and a training loop that gets the same None
// gradient at every step stores its reason once.
struct NullReasons {
  std::mutex mutex;
  std::deque<std::string> text{""};  // deque: views into it stay valid as it grows
  std::unordered_map<std::string_view, uint32_t> ids;
};
NullReasons& null_reasons() {
  static NullReasons r;
  return r;
}
}  // namespace

Tensor Tensor::null_because(std::string_view reason) {
  auto& r = null_reasons();
  std::lock_guard lock(r.mutex);
  auto [it, fresh] = r.ids.try_emplace(reason, static_cast<uint32_t>(r.text.size()));
  if (fresh) {
    const uint32_t id = it->second;
    r.ids.erase(it);  // re-keyed on the stored copy, which outlives `reason`
    it = r.ids.emplace(r.text.emplace_back(reason), id).first;
  }
  Tensor t;
  t.null_reason_ = it->second;
  return t;
}

std::string_view Tensor::null_reason() const {
  if (impl_ || null_reason_ == 0) return {};
  auto& r = null_reasons();
  std::lock_guard lock(r.mutex);
  return r.text[null_reason_];
}

const detail::TensorImpl& Tensor::checked() const {
  if (!impl_) {
    std::string why(null_reason());
    throw InvalidArgumentError(why.empty()
                                   ? "use of a null tf::Tensor (default-constructed or moved-from)"
                                   : "use of a null tf::Tensor: " + why);
  }
  return *impl_;
}
namespace {
// Reading a symbolic tensor's value is almost always Python-style control flow on a tensor
// (`if (x.item<float>() > 0)`): a trace can only take one path, so say what to use instead.
InvalidArgumentError symbolic_data_error(std::string_view what) {
  return InvalidArgumentError(
      std::string(what) +
      ": the tensor is symbolic (inside a tf::function trace) and has no value yet; its value "
      "exists only when the compiled function runs. Data-dependent control flow must use "
      "tf::cond / tf::while_loop, and printing at run time tf::print");
}
}  // namespace

const TensorShape& Tensor::shape() const { return checked().shape; }
DType Tensor::dtype() const { return checked().dtype; }
bool Tensor::is_symbolic() const { return checked().buffer == nullptr; }

std::string Tensor::device() const {
  const auto& impl = checked();
  return impl.buffer ? impl.buffer->device().name() : rt::Device{}.name();
}

const void* Tensor::data() const {
  const auto& impl = checked();
  if (!impl.buffer) throw symbolic_data_error("data");
  if (impl.buffer->device().type != rt::DeviceType::kCPU)
    throw InvalidArgumentError("data: the tensor is on " + impl.buffer->device().name() +
                               "; item() and to_vector() copy it back, or copy it to the CPU with "
                               "tf::identity inside tf::device_scope(\"/CPU:0\")");
  return impl.buffer->data();
}

void Tensor::copy_to_host(void* dst, DType dst_dtype, size_t count, const char* what) const {
  const auto& impl = checked();
  if (!impl.buffer) throw symbolic_data_error(what);
  if (dst_dtype != impl.dtype)
    throw InvalidArgumentError(std::string(what) + ": the tensor has dtype " +
                               std::string(dtype_name(impl.dtype)) + " but " +
                               std::string(dtype_name(dst_dtype)) + " was requested");
  if (std::string_view(what) == "item" && impl.shape.num_elements() != 1)
    throw InvalidArgumentError("item: the tensor has shape " + impl.shape.to_string() + " with " +
                               std::to_string(impl.shape.num_elements()) +
                               " elements; item() needs exactly one");
  const void* src = impl.buffer->data();
  if (count == 0) return;
  if (impl.buffer->device().type == rt::DeviceType::kGPU) {  // waits for the GPU's work
    rt::gpu::copy_to_host(impl.buffer->device().index, dst, src, count * dtype_size(impl.dtype));
    return;
  }
  if (impl.dtype == string) {
    auto* s = static_cast<const std::string*>(src);
    std::copy(s, s + count, static_cast<std::string*>(dst));
  } else {
    std::memcpy(dst, src, count * dtype_size(impl.dtype));
  }
}

namespace detail {

Tensor empty(DType dtype, TensorShape shape, const rt::Device& device) {
  if (std::string error = core::validate_shape(shape); !error.empty())
    throw InvalidArgumentError(error);
  auto impl = std::make_shared<TensorImpl>();
  impl->buffer = rt::Buffer::allocate(dtype, shape.num_elements(), device);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

// A value converted from a floating or wider type into an integer (or bool) dtype must survive
// the round trip, as TensorFlow refuses tf.constant(1.5, dtype=tf.int32).
static void check_exact(const void* src, DType src_dtype, const void* converted, DType dtype,
                        size_t count) {
  if (is_floating(dtype) || is_complex(dtype) || src_dtype == dtype) return;
  const auto& kernels = rt::kernels(rt::DeviceType::kCPU);
  std::vector<double> original(count), back(count);
  kernels.get<rt::CastKernel>(ops::Primitive::cast, src_dtype, float64)(
      src, original.data(), static_cast<int64_t>(count));
  kernels.get<rt::CastKernel>(ops::Primitive::cast, dtype, float64)(converted, back.data(),
                                                                    static_cast<int64_t>(count));
  for (size_t i = 0; i < count; ++i)
    if (!(original[i] == back[i]))
      throw InvalidArgumentError("constant: value " + std::to_string(original[i]) +
                                 " cannot be represented exactly as " +
                                 std::string(dtype_name(dtype)));
}

Tensor make_tensor(const void* src, DType src_dtype, size_t count, TensorShape shape, DType dtype) {
  if ((src_dtype == string) != (dtype == string))
    throw InvalidArgumentError("constant: cannot convert between string and " +
                               std::string(dtype_name(src_dtype == string ? dtype : src_dtype)));
  Tensor out = empty(dtype, shape);
  int64_t n = out.num_elements();
  if (count != static_cast<size_t>(n) && count != 1)
    throw InvalidArgumentError("constant: " + std::to_string(count) + " values cannot fill shape " +
                               shape.to_string() + " (" + std::to_string(n) + " elements)");
  void* dst = out.impl()->buffer->data();
  // Literals inside a trace become graph constants read on the host: keep them there.
  const rt::Device device = TraceContext::current() ? rt::Device{} : creation_device(dtype);
  if (n == 0) return to_device(out, device);
  if (dtype == string) {
    auto* s = static_cast<const std::string*>(src);
    auto* d = static_cast<std::string*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = s[count == 1 ? 0 : i];
    return out;
  }
  const auto cast =
      rt::kernels(rt::DeviceType::kCPU).get<rt::CastKernel>(ops::Primitive::cast, src_dtype, dtype);
  cast(src, dst, static_cast<int64_t>(count));
  check_exact(src, src_dtype, dst, dtype, count);
  if (count == 1) {  // broadcast the single value
    size_t size = dtype_size(dtype);
    for (int64_t i = 1; i < n; ++i) std::memcpy(static_cast<char*>(dst) + i * size, dst, size);
  }
  return to_device(out, device);
}

}  // namespace detail

Tensor fill(const TensorShape& shape, double value, DType dtype) {
  if (dtype == string) throw InvalidArgumentError("fill: dtype string is not supported");
  return detail::make_tensor(&value, float64, 1, shape, dtype);
}
Tensor zeros(const TensorShape& shape, DType dtype) { return fill(shape, 0.0, dtype); }
Tensor ones(const TensorShape& shape, DType dtype) { return fill(shape, 1.0, dtype); }

}  // namespace tf
