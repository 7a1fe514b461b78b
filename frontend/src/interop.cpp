// Raw-memory wrapping, .npy files and DLPack.
#include <cstring>
#include <fstream>
#include <regex>

#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/gpu.h"
#include "tfjit/dlpack.h"
#include "tfjit/interop.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {

Tensor over_buffer(std::shared_ptr<rt::Buffer> buffer, const TensorShape& shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->buffer = std::move(buffer);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

void check_blob(const char* op, const void* data, const TensorShape& shape, DType dtype) {
  if (std::string e = core::validate_shape(shape); !e.empty())
    throw InvalidArgumentError(std::string(op) + ": " + e);
  if (dtype == string)
    throw InvalidArgumentError(std::string(op) + ": string tensors cannot be made from raw memory");
  if (!core::checked_bytes(shape.num_elements(), dtype_size(dtype)))
    throw InvalidArgumentError(std::string(op) + ": shape " + shape.to_string() + " of " +
                               std::string(dtype_name(dtype)) + " spans more than 2^62 bytes");
  if (!data && shape.num_elements() > 0)
    throw InvalidArgumentError(std::string(op) + ": data is null");
}

// .npy dtype strings, little-endian.
const char* npy_descr(DType d) {
  switch (d) {
    case float16:
      return "<f2";
    case float32:
      return "<f4";
    case float64:
      return "<f8";
    case int8:
      return "|i1";
    case int16:
      return "<i2";
    case int32:
      return "<i4";
    case int64:
      return "<i8";
    case uint8:
      return "|u1";
    case bool_:
      return "|b1";
    case complex64:
      return "<c8";
    default:
      return nullptr;
  }
}

}  // namespace

Tensor from_blob(void* data, const TensorShape& shape, DType dtype, std::function<void()> release) {
  check_blob("from_blob", data, shape, dtype);
  if (!release) release = [] {};  // the caller keeps ownership
  size_t bytes = static_cast<size_t>(shape.num_elements()) * dtype_size(dtype);
  return over_buffer(rt::Buffer::wrap(data, bytes, std::move(release)), shape, dtype);
}

Tensor from_buffer(const void* data, const TensorShape& shape, DType dtype) {
  check_blob("from_buffer", data, shape, dtype);
  Tensor out = empty(dtype, shape);
  if (out.num_elements() > 0)
    std::memcpy(out.impl()->buffer->data(), data,
                static_cast<size_t>(out.num_elements()) * dtype_size(dtype));
  return out;
}

void save_npy(const std::string& path, const Tensor& t) {
  checked(t, "save_npy", "t");
  const char* descr = npy_descr(t.dtype());
  if (!descr)
    throw UnimplementedError("save_npy: dtype " + std::string(dtype_name(t.dtype())) +
                             " has no .npy equivalent");
  std::string shape = "(";
  for (int64_t d : t.shape()) shape += std::to_string(d) + ", ";
  if (t.ndim() > 1) shape.resize(shape.size() - 2);
  if (t.ndim() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header =
      "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;  // magic(6) + version(2) + length(2) + header + '\n'
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InvalidArgumentError("save_npy: cannot open " + path + " for writing");
  const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  uint16_t len = static_cast<uint16_t>(header.size());
  char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(magic, 8)
      .write(len_bytes, 2)
      .write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(detail::to_cpu(t).data()),
            static_cast<std::streamsize>(t.num_elements() * dtype_size(t.dtype())));
  if (!out) throw InvalidArgumentError("save_npy: writing " + path + " failed");
}

Tensor load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgumentError("load_npy: cannot open " + path);
  auto bad = [&](const std::string& why) -> Tensor {
    throw InvalidArgumentError("load_npy: " + path + ": " + why);
  };
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    bad("not a .npy file (bad magic)");
  size_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) bad("truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) bad("truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<size_t>(b[3]) << 24);
    if (header_len > (1u << 20)) bad("header too large");
  } else {
    bad("unsupported format version " + std::to_string(int(magic[6])));
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len))) bad("truncated header");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    bad("header has no 'descr'");
  std::string descr = m[1];
  bool fortran = false;
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")))
    fortran = m[1] == "True";
  else
    bad("header has no 'fortran_order'");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    bad("header has no 'shape'");
  std::vector<int64_t> dims;
  std::string dims_text = m[1];
  const std::regex number(R"(-?\d+)");
  for (std::sregex_iterator it(dims_text.begin(), dims_text.end(), number), end; it != end; ++it) {
    std::string v = it->str();
    if (v.size() > 18 || v[0] == '-') bad("bad dimension " + v);
    dims.push_back(std::stoll(v));
  }
  std::optional<DType> dtype;
  for (int d = 0; d < kNumDTypes; ++d)
    if (const char* s = npy_descr(static_cast<DType>(d));
        s && (descr == s || (descr.size() == 3 && descr[0] == '=' &&
                             descr.substr(1) == std::string(s).substr(1))))
      dtype = static_cast<DType>(d);
  if (!dtype)
    bad("unsupported dtype '" + descr + "' (big-endian and structured dtypes are not supported)");
  TensorShape shape(fortran ? std::vector<int64_t>(dims.rbegin(), dims.rend()) : dims);
  if (std::string e = core::validate_shape(shape); !e.empty()) bad(e);
  // The declared size is checked against the file before anything is allocated, so a small
  // file cannot make us allocate (or overflow) a huge buffer.
  const std::optional<size_t> declared =
      core::checked_bytes(shape.num_elements(), dtype_size(*dtype));
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff available = in.tellg() - data_start;
  in.seekg(data_start);
  if (!declared || static_cast<size_t>(std::max<std::streamoff>(available, 0)) < *declared)
    bad("truncated data: the header declares shape " + shape.to_string() + " of " +
        std::string(dtype_name(*dtype)) + ", the file holds " + std::to_string(available) +
        " data bytes");
  Tensor out = empty(*dtype, shape);
  const auto bytes = static_cast<std::streamsize>(*declared);
  if (bytes > 0 && !in.read(static_cast<char*>(out.impl()->buffer->data()), bytes))
    bad("truncated data");
  if (*dtype == bool_) {  // a byte other than 0/1 is not a valid bool
    auto* b = static_cast<unsigned char*>(out.impl()->buffer->data());
    for (int64_t i = 0; i < out.num_elements(); ++i) b[i] = b[i] != 0;
  }
  if (!fortran || out.ndim() < 2) return out;
  return transpose(out);  // Fortran order: the data is the transpose's row-major layout
}

// --- DLPack
// ---------------------------------------------------------------------------------------

namespace {
constexpr uint8_t kDLBoolCode = 6;  // kDLBool in DLPack >= 0.8 (this header is 0.6)

std::optional<DLDataType> dl_dtype(DType d) {
  auto t = [](uint8_t code, uint8_t bits) { return DLDataType{code, bits, 1}; };
  switch (d) {
    case float16:
      return t(kDLFloat, 16);
    case bfloat16:
      return t(kDLBfloat, 16);
    case float32:
      return t(kDLFloat, 32);
    case float64:
      return t(kDLFloat, 64);
    case int8:
      return t(kDLInt, 8);
    case int16:
      return t(kDLInt, 16);
    case int32:
      return t(kDLInt, 32);
    case int64:
      return t(kDLInt, 64);
    case uint8:
      return t(kDLUInt, 8);
    case bool_:
      return t(kDLBoolCode, 8);
    case complex64:
      return t(kDLComplex, 64);
    default:
      return std::nullopt;
  }
}

struct DLContext {  // keeps the tensor and its shape alive while the consumer holds it
  Tensor tensor;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed;
};
}  // namespace

DLManagedTensor* to_dlpack(const Tensor& t) {
  checked(t, "to_dlpack", "t");
  auto dtype = dl_dtype(t.dtype());
  if (!dtype)
    throw InvalidArgumentError("to_dlpack: dtype " + std::string(dtype_name(t.dtype())) +
                               " has no DLPack type");
  auto ctx = std::make_unique<DLContext>();
  ctx->tensor = t;
  ctx->shape = t.shape().dims();
  ctx->strides.resize(ctx->shape.size());
  for (int64_t i = t.ndim() - 1, s = 1; i >= 0; --i) {
    ctx->strides[static_cast<size_t>(i)] = s;
    s *= ctx->shape[static_cast<size_t>(i)];
  }
  DLTensor& dl = ctx->managed.dl_tensor;
  // Consumers must not write: tfjit buffers are immutable. GPU tensors export as kDLCUDA.
  dl.data = const_cast<void*>(detail::raw(t));
  const rt::Device& device = t.impl()->buffer->device();
  dl.device =
      device.type == rt::DeviceType::kGPU ? DLDevice{kDLCUDA, device.index} : DLDevice{kDLCPU, 0};
  // DLPack carries no stream: the consumer may read at once, so the values must be there.
  if (device.type == rt::DeviceType::kGPU) rt::gpu::synchronize(device.index);
  dl.ndim = static_cast<int32_t>(t.ndim());
  dl.dtype = *dtype;
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
  ctx->managed.manager_ctx = ctx.get();
  ctx->managed.deleter = [](DLManagedTensor* self) {
    std::unique_ptr<DLContext>(static_cast<DLContext*>(self->manager_ctx));  // frees the context
  };
  return &ctx.release()->managed;
}

Tensor from_dlpack(DLManagedTensor* managed) {
  if (!managed) throw InvalidArgumentError("from_dlpack: null DLManagedTensor");
  const DLTensor& dl = managed->dl_tensor;
  if (dl.device.device_type != kDLCPU && dl.device.device_type != kDLCUDAHost)
    throw InvalidArgumentError(
        "from_dlpack: device type " + std::to_string(dl.device.device_type) +
        " is not supported (CPU memory only; copy GPU data to the host first)");
  std::optional<DType> dtype;
  for (int d = 0; d < kNumDTypes; ++d) {
    auto t = dl_dtype(static_cast<DType>(d));
    if (t && t->code == dl.dtype.code && t->bits == dl.dtype.bits && dl.dtype.lanes == 1)
      dtype = static_cast<DType>(d);
  }
  if (!dtype)
    throw InvalidArgumentError(
        "from_dlpack: unsupported DLPack dtype (code " + std::to_string(dl.dtype.code) + ", bits " +
        std::to_string(dl.dtype.bits) + ", lanes " + std::to_string(dl.dtype.lanes) + ")");
  if (dl.ndim < 0) throw InvalidArgumentError("from_dlpack: negative ndim");
  TensorShape shape(dl.shape, dl.shape + dl.ndim);
  if (std::string e = core::validate_shape(shape); !e.empty())
    throw InvalidArgumentError("from_dlpack: " + e);
  auto* base = static_cast<char*>(dl.data) + dl.byte_offset;
  bool contiguous = true;
  if (dl.strides)
    for (int64_t i = dl.ndim - 1, s = 1; i >= 0; --i) {
      if (shape[i] != 1 && dl.strides[i] != s) contiguous = false;
      s *= shape[i];
    }
  if (contiguous)
    return from_blob(base, shape, *dtype, [managed] {
      if (managed->deleter) managed->deleter(managed);
    });
  // Strided: gather into a dense tensor, then release the producer's memory.
  Tensor out = empty(*dtype, shape);
  core::ElementwisePlan plan;
  plan.dims = shape.dims();
  plan.strides[0].assign(dl.strides, dl.strides + dl.ndim);
  if (out.num_elements() > 0)
    cpu_kernels().get<rt::StridedCopyKernel>(ops::Primitive::strided_copy, *dtype)(
        base, out.impl()->buffer->data(), dtype_size(*dtype), plan);
  if (managed->deleter) managed->deleter(managed);
  return out;
}

}  // namespace tf
