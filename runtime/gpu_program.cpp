#include "runtime/gpu_program.h"

#include "runtime/gpu.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <sstream>
#include <type_traits>

#include "ops/op_info.h"
#include "tfjit/errors.h"

namespace tf::rt::gpu {

namespace {

constexpr char kMagic[8] = {'t', 'f', 'j', 'g', 'p', 'u', '0', '6'};

// Little helpers over a byte string: fixed-width integers and length-prefixed strings.
struct Writer {
  std::string out;
  template <class T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void put(std::string_view s) {
    put<uint64_t>(s.size());
    out.append(s);
  }
  void put(const BufferRef& r) {
    put(r.buffer);
    put(r.byte_offset);
  }
};

struct Reader {
  std::string_view in;
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, in.data(), sizeof value);
    in.remove_prefix(sizeof value);
    return value;
  }
  std::string string() {
    auto n = get<uint64_t>();
    need(n);
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
  BufferRef ref() {
    BufferRef r;
    r.buffer = get<int32_t>();
    r.byte_offset = get<int64_t>();
    return r;
  }
  void need(uint64_t n) const {
    if (n > in.size()) throw InvalidArgumentError("GPU program: truncated serialised data");
  }
};

template <class C>
auto conv_lists(C& conv) {
  return std::array{&conv.input,     &conv.filter, &conv.output, &conv.strides,
                    &conv.dilations, &conv.low,    &conv.high};
}

// A convolution read from disk: a known dtype and kind, shapes that agree, attributes in range,
// and each operand inside its buffer.
bool valid_conv(const Conv& c, const std::vector<ProgramBuffer>& buffers) {
  if (static_cast<int>(c.dtype) >= kNumDTypes) return false;
  const auto kind = static_cast<int64_t>(c.kind);
  if (kind < 0 || kind > 2) return false;
  const size_t rank = c.input.size();
  if (rank < 3 || rank > 5 || c.filter.size() != rank || c.output.size() != rank) return false;
  for (const auto* list : {&c.strides, &c.dilations, &c.low, &c.high})
    if (list->size() != rank - 2) return false;
  auto bytes = [&](const std::vector<int64_t>& shape, int64_t& out) {
    out = static_cast<int64_t>(dtype_size(c.dtype));
    for (int64_t d : shape)
      if (d < 0 || d >= (int64_t{1} << 40) || __builtin_mul_overflow(out, d, &out)) return false;
    return true;
  };
  int64_t in = 0, filter = 0, out = 0;
  if (!bytes(c.input, in) || !bytes(c.filter, filter) || !bytes(c.output, out)) return false;
  // The shapes agree (core/conv_shapes.cpp): batch, channels per group, and each spatial output
  // size the windows' count. Sizes below 2^40 and attributes up to 2^20 keep this free of overflow.
  if (c.groups < 1 || c.groups > c.input[rank - 1] || c.output[0] != c.input[0] ||
      c.filter[rank - 2] * c.groups != c.input[rank - 1] ||
      c.output[rank - 1] != c.filter[rank - 1] || c.output[rank - 1] % c.groups != 0)
    return false;
  for (size_t d = 0; d + 2 < rank; ++d) {
    const int64_t s = c.strides[d], r = c.dilations[d], lo = c.low[d], hi = c.high[d];
    const int64_t limit = int64_t{1} << 20;
    if (s < 1 || r < 1 || lo < 0 || hi < 0 || s > limit || r > limit || lo > limit || hi > limit ||
        c.filter[d] < 1)
      return false;
    const int64_t span = c.input[d + 1] + lo + hi - r * (c.filter[d] - 1);  // windows' starts
    if (span <= 0 || c.output[d + 1] != (span - 1) / s + 1) return false;
  }
  auto inside = [&](const BufferRef& r, int64_t size) {
    const int64_t buffer = buffers[static_cast<size_t>(r.buffer)].bytes;
    return r.byte_offset >= 0 && size <= buffer && r.byte_offset <= buffer - size;
  };
  const int64_t* sizes[3][3] = {{&in, &filter, &out}, {&filter, &out, &in}, {&in, &out, &filter}};
  const BufferRef* refs[3] = {&c.a, &c.b, &c.out};
  for (int i = 0; i < 3; ++i)
    if (!inside(*refs[i], *sizes[kind][i])) return false;
  if (!c.has_epilogue()) return true;
  // An epilogue: what cuDNN fuses (backends/cuda/cudnn.h), its operands inside their buffers.
  const auto act = c.activation;
  return c.kind == abi::ConvKind::kForward && c.dtype == DType::float32 &&
         (act == abi::Epilogue::kNone || act == abi::Epilogue::kRelu) &&
         (!c.bias || inside(*c.bias, c.output[rank - 1] * 4)) &&
         (!c.residual || inside(*c.residual, out));
}

// A scatter read from disk: a known dtype and combiner, and each operand inside its buffer.
bool valid_scatter(const Scatter& s, const std::vector<ProgramBuffer>& buffers) {
  if (static_cast<int>(s.dtype) >= kNumDTypes || s.combiner < -1 || s.combiner >= ops::kNumReduce ||
      s.dims.size() > kMaxScatterDims || s.rows < 0 || s.slice < 0)
    return false;
  // The product of sizes (a byte count), or -1 where one is negative or the product overflows.
  auto bytes = [](std::initializer_list<int64_t> factors) {
    int64_t out = 1;
    for (int64_t f : factors)
      if (f < 0 || __builtin_mul_overflow(out, f, &out)) return int64_t{-1};
    return out;
  };
  int64_t out_rows = 1;
  for (int64_t d : s.dims)
    if (d < 0 || __builtin_mul_overflow(out_rows, d, &out_rows)) return false;
  const auto item = static_cast<int64_t>(dtype_size(s.dtype));
  const int64_t target = bytes({out_rows, s.slice, item});
  const std::pair<const BufferRef*, int64_t> operands[] = {
      {&s.operand, target},
      {&s.out, target},
      {&s.indices, bytes({s.rows, static_cast<int64_t>(s.dims.size()), s.indices64 ? 8 : 4})},
      {&s.updates, bytes({s.rows, s.slice, item})}};
  for (const auto& [r, size] : operands) {
    if (size < 0) return false;
    const int64_t buffer = buffers[static_cast<size_t>(r->buffer)].bytes;
    if (r->byte_offset < 0 || size > buffer || r->byte_offset > buffer - size) return false;
  }
  return true;
}

}  // namespace

std::string Program::serialize() const {
  Writer w;
  w.out.append(kMagic, sizeof kMagic);
  w.put(std::string_view(arch));
  w.put(std::string_view(image));
  w.put<uint8_t>(image_is_binary);
  w.put<int32_t>(num_arguments);
  w.put<int32_t>(num_results);
  w.put<uint64_t>(buffers.size());
  for (const auto& b : buffers) {
    w.put(b.kind);
    w.put(b.bytes);
    w.put(std::string_view(b.data));
  }
  w.put<uint64_t>(steps.size());
  for (const auto& step : steps) {
    w.put<uint8_t>(static_cast<uint8_t>(step.index()));
    if (const auto* l = std::get_if<Launch>(&step)) {
      w.put(std::string_view(l->kernel));
      w.put(l->grid);
      w.put(l->block);
      w.put<uint64_t>(l->params.size());
      for (const auto& p : l->params) {
        w.put(p.kind);
        w.put(p.address);
        w.put(p.value);
      }
    } else if (const auto* g = std::get_if<Gemm>(&step)) {
      w.put(g->dtype);
      w.put(g->a);
      w.put(g->b);
      w.put(g->c);
      for (int64_t v : {g->batch, g->m, g->n, g->k}) w.put(v);
      w.put<uint8_t>(g->transpose_a);
      w.put<uint8_t>(g->transpose_b);
    } else if (const auto* c = std::get_if<Copy>(&step)) {
      w.put(c->source);
      w.put(c->destination);
      w.put(c->bytes);
    } else if (const auto* b = std::get_if<Branch>(&step)) {
      w.put(b->flag);
      w.put(b->if_true);
      w.put(b->if_false);
    } else if (const auto* j = std::get_if<Jump>(&step)) {
      w.put(j->target);
    } else if (const auto* check = std::get_if<Check>(&step)) {
      w.put(check->flag);
      w.put(std::string_view(check->message));
    } else if (const auto* conv = std::get_if<Conv>(&step)) {
      w.put(conv->dtype);
      w.put(conv->kind);
      w.put(conv->a);
      w.put(conv->b);
      w.put(conv->out);
      for (const auto* list : conv_lists(*conv)) {
        w.put<uint64_t>(list->size());
        for (int64_t v : *list) w.put(v);
      }
      w.put(conv->groups);
      w.put(conv->activation);
      for (const auto* ref : {&conv->bias, &conv->residual}) {
        w.put<uint8_t>(ref->has_value());
        if (*ref) w.put(**ref);
      }
    } else if (const auto* sc = std::get_if<Scatter>(&step)) {
      w.put(sc->dtype);
      for (const BufferRef& r : {sc->operand, sc->indices, sc->updates, sc->out}) w.put(r);
      w.put<uint64_t>(sc->dims.size());
      for (int64_t d : sc->dims) w.put(d);
      w.put(sc->rows);
      w.put(sc->slice);
      w.put<uint8_t>(sc->indices64);
      w.put(sc->combiner);
    } else {
      const auto& print = std::get<Print>(step);
      w.put<uint64_t>(print.inputs.size());
      for (const auto& in : print.inputs) {
        w.put(in.data);
        w.put(in.dtype);
        w.put<uint64_t>(in.shape.size());
        for (size_t d = 0; d < in.shape.size(); ++d) w.put(in.shape[d]), w.put(in.strides[d]);
      }
      w.put<uint64_t>(print.texts.size());
      for (const auto& t : print.texts) w.put(std::string_view(t));
    }
  }
  return std::move(w.out);
}

Program Program::deserialize(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw InvalidArgumentError("GPU program: not a serialised tfjit GPU program");
  Reader r{bytes.substr(sizeof kMagic)};
  Program p;
  p.arch = r.string();
  p.image = r.string();
  p.image_is_binary = r.get<uint8_t>() != 0;
  p.num_arguments = r.get<int32_t>();
  p.num_results = r.get<int32_t>();
  auto num_buffers = r.get<uint64_t>();
  r.need(num_buffers);  // at least a byte each: guards the resize below against garbage
  p.buffers.resize(num_buffers);
  for (auto& b : p.buffers) {
    b.kind = r.get<ProgramBuffer::Kind>();
    b.bytes = r.get<int64_t>();
    b.data = r.string();
    if (b.kind > ProgramBuffer::Kind::kConstant || b.bytes < 0)
      throw InvalidArgumentError("GPU program: a buffer of unknown kind or negative size");
  }
  auto num_steps = r.get<uint64_t>();
  r.need(num_steps);
  for (uint64_t i = 0; i < num_steps; ++i) {
    switch (r.get<uint8_t>()) {
      case 0: {
        Launch l;
        l.kernel = r.string();
        l.grid = r.get<std::array<uint32_t, 3>>();
        l.block = r.get<std::array<uint32_t, 3>>();
        auto n = r.get<uint64_t>();
        r.need(n);
        l.params.resize(n);
        for (auto& param : l.params) {
          param.kind = r.get<KernelParam::Kind>();
          if (param.kind > KernelParam::Kind::kFloat64)
            throw InvalidArgumentError("GPU program: a kernel parameter of unknown kind");
          param.address = r.ref();
          param.value = r.get<uint64_t>();
        }
        p.steps.emplace_back(std::move(l));
        break;
      }
      case 1: {
        Gemm g;
        g.dtype = r.get<DType>();
        if (static_cast<int>(g.dtype) >= kNumDTypes)
          throw InvalidArgumentError("GPU program: a GEMM of unknown dtype");
        g.a = r.ref();
        g.b = r.ref();
        g.c = r.ref();
        g.batch = r.get<int64_t>();
        g.m = r.get<int64_t>();
        g.n = r.get<int64_t>();
        g.k = r.get<int64_t>();
        g.transpose_a = r.get<uint8_t>() != 0;
        g.transpose_b = r.get<uint8_t>() != 0;
        p.steps.emplace_back(g);
        break;
      }
      case 2: {
        Copy c;
        c.source = r.ref();
        c.destination = r.ref();
        c.bytes = r.get<int64_t>();
        p.steps.emplace_back(c);
        break;
      }
      case 3: {
        Branch b;
        b.flag = r.ref();
        b.if_true = r.get<int32_t>();
        b.if_false = r.get<int32_t>();
        p.steps.emplace_back(b);
        break;
      }
      case 4:
        p.steps.emplace_back(Jump{r.get<int32_t>()});
        break;
      case 5: {
        Print print;
        auto n = r.get<uint64_t>();
        r.need(n);
        print.inputs.resize(n);
        for (auto& in : print.inputs) {
          in.data = r.ref();
          in.dtype = r.get<DType>();
          auto rank = r.get<uint64_t>();
          r.need(rank);
          for (uint64_t d = 0; d < rank; ++d) {
            in.shape.push_back(r.get<int64_t>());
            in.strides.push_back(r.get<int64_t>());
          }
        }
        auto texts = r.get<uint64_t>();
        r.need(texts);
        for (uint64_t t = 0; t < texts; ++t) print.texts.push_back(r.string());
        if (print.texts.size() != print.inputs.size() + 1)
          throw InvalidArgumentError("GPU program: a print with mismatched texts");
        p.steps.emplace_back(std::move(print));
        break;
      }
      case 6: {
        Check check;
        check.flag = r.ref();
        check.message = r.string();
        p.steps.emplace_back(std::move(check));
        break;
      }
      case 7: {
        Conv conv;
        conv.dtype = r.get<DType>();
        conv.kind = r.get<abi::ConvKind>();
        conv.a = r.ref();
        conv.b = r.ref();
        conv.out = r.ref();
        for (auto* list : conv_lists(conv)) {
          auto n = r.get<uint64_t>();
          r.need(n);
          for (uint64_t k = 0; k < n; ++k) list->push_back(r.get<int64_t>());
        }
        conv.groups = r.get<int64_t>();
        conv.activation = r.get<abi::Epilogue>();
        for (auto* ref : {&conv.bias, &conv.residual})
          if (r.get<uint8_t>()) *ref = r.ref();
        p.steps.emplace_back(std::move(conv));
        break;
      }
      case 8: {
        Scatter sc;
        sc.dtype = r.get<DType>();
        for (BufferRef* ref : {&sc.operand, &sc.indices, &sc.updates, &sc.out}) *ref = r.ref();
        auto depth = r.get<uint64_t>();
        r.need(depth);
        for (uint64_t k = 0; k < depth; ++k) sc.dims.push_back(r.get<int64_t>());
        sc.rows = r.get<int64_t>();
        sc.slice = r.get<int64_t>();
        sc.indices64 = r.get<uint8_t>() != 0;
        sc.combiner = r.get<int32_t>();
        p.steps.emplace_back(std::move(sc));
        break;
      }
      default:
        throw InvalidArgumentError("GPU program: unknown step kind");
    }
  }
  if (!r.in.empty()) throw InvalidArgumentError("GPU program: trailing bytes");
  // Every reference must name a buffer: a program read from disk is not trusted blindly.
  auto check = [&](const BufferRef& ref) {
    if (ref.buffer < 0 || static_cast<size_t>(ref.buffer) >= p.buffers.size())
      throw InvalidArgumentError("GPU program: a step refers to a missing buffer");
  };
  auto target = [&](int32_t step) {
    if (step < 0 || static_cast<size_t>(step) > p.steps.size())
      throw InvalidArgumentError("GPU program: a branch to a missing step");
  };
  for (const auto& step : p.steps) {
    if (const auto* l = std::get_if<Launch>(&step)) {
      for (const auto& param : l->params)
        if (param.kind == KernelParam::Kind::kAddress) check(param.address);
    } else if (const auto* g = std::get_if<Gemm>(&step)) {
      check(g->a), check(g->b), check(g->c);
    } else if (const auto* c = std::get_if<Copy>(&step)) {
      check(c->source), check(c->destination);
    } else if (const auto* b = std::get_if<Branch>(&step)) {
      check(b->flag), target(b->if_true), target(b->if_false);
    } else if (const auto* j = std::get_if<Jump>(&step)) {
      target(j->target);
    } else if (const auto* conv = std::get_if<Conv>(&step)) {
      check(conv->a), check(conv->b), check(conv->out);
      for (const auto& ref : {conv->bias, conv->residual})
        if (ref) check(*ref);
      if (!valid_conv(*conv, p.buffers))
        throw InvalidArgumentError(
            "GPU program: a convolution of inconsistent shapes or outside "
            "its buffers");
    } else if (const auto* sc = std::get_if<Scatter>(&step)) {
      check(sc->operand), check(sc->indices), check(sc->updates), check(sc->out);
      if (!valid_scatter(*sc, p.buffers))
        throw InvalidArgumentError(
            "GPU program: a scatter of an unknown combiner or outside its buffers");
    } else if (const auto* c = std::get_if<Check>(&step)) {
      check(c->flag);
      if (c->flag.byte_offset < 0 ||
          c->flag.byte_offset >= p.buffers[static_cast<size_t>(c->flag.buffer)].bytes)
        throw InvalidArgumentError("GPU program: a check's flag outside its buffer");
    } else {
      for (const auto& in : std::get<Print>(step).inputs) {
        check(in.data);
        // The view must lie inside its buffer: print_line copies the span it covers.
        int64_t span = 1;
        bool ok = static_cast<int>(in.dtype) < kNumDTypes && in.data.byte_offset >= 0;
        for (size_t d = 0; ok && d < in.shape.size(); ++d) {
          ok = in.shape[d] >= 0 && in.strides[d] >= 0 && in.shape[d] < (int64_t{1} << 40) &&
               in.strides[d] < (int64_t{1} << 40);
          if (ok && in.shape[d] > 0) span += (in.shape[d] - 1) * in.strides[d];
        }
        ok = ok && in.data.byte_offset + span * static_cast<int64_t>(dtype_size(in.dtype)) <=
                       p.buffers[static_cast<size_t>(in.data.buffer)].bytes;
        if (!ok) throw InvalidArgumentError("GPU program: a print of a view outside its buffer");
      }
    }
  }
  return p;
}

bool Program::has_control_flow() const {
  return std::any_of(steps.begin(), steps.end(),
                     [](const Step& s) { return std::holds_alternative<Branch>(s); });
}

int64_t Program::temporary_bytes() const {
  int64_t total = 0;
  for (const auto& b : buffers)
    if (b.kind == ProgramBuffer::Kind::kTemporary) total += (b.bytes + 255) / 256 * 256;
  return total;
}

std::string Program::describe() const {
  static const char* kinds[] = {"argument", "result", "temporary", "constant"};
  std::ostringstream os;
  auto ref = [&](const BufferRef& r) {
    os << "%" << r.buffer;
    if (r.byte_offset) os << "+" << r.byte_offset;
  };
  for (size_t i = 0; i < buffers.size(); ++i)
    os << "buffer %" << i << ": " << kinds[static_cast<int>(buffers[i].kind)] << ", "
       << buffers[i].bytes << " bytes\n";
  const bool numbered = has_control_flow();  // so that branches can be followed
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    if (numbered) os << "step " << i << ": ";
    if (const auto* l = std::get_if<Launch>(&step)) {
      os << "launch " << l->kernel << " grid(" << l->grid[0] << "," << l->grid[1] << ","
         << l->grid[2] << ") block(" << l->block[0] << "," << l->block[1] << "," << l->block[2]
         << ") params(";
      for (size_t i = 0; i < l->params.size(); ++i) {
        if (i) os << ", ";
        const auto& p = l->params[i];
        switch (p.kind) {
          case KernelParam::Kind::kAddress:
            ref(p.address);
            break;
          case KernelParam::Kind::kInteger:
            os << static_cast<int64_t>(p.value);
            break;
          case KernelParam::Kind::kFloat32:
            os << std::bit_cast<float>(static_cast<uint32_t>(p.value)) << "f";
            break;
          case KernelParam::Kind::kFloat64:
            os << std::bit_cast<double>(p.value);
            break;
        }
      }
      os << ")\n";
    } else if (const auto* g = std::get_if<Gemm>(&step)) {
      os << "gemm " << dtype_name(g->dtype) << " batch=" << g->batch << " m=" << g->m
         << " n=" << g->n << " k=" << g->k << (g->transpose_a ? " transpose_a" : "")
         << (g->transpose_b ? " transpose_b" : "") << " a=";
      ref(g->a);
      os << " b=";
      ref(g->b);
      os << " c=";
      ref(g->c);
      os << "\n";
    } else if (const auto* c = std::get_if<Copy>(&step)) {
      os << "copy " << c->bytes << " bytes ";
      ref(c->source);
      os << " -> ";
      ref(c->destination);
      os << "\n";
    } else if (const auto* b = std::get_if<Branch>(&step)) {
      os << "branch ";
      ref(b->flag);
      os << " ? step " << b->if_true << " : step " << b->if_false << "\n";
    } else if (const auto* j = std::get_if<Jump>(&step)) {
      os << "jump to step " << j->target << "\n";
    } else if (const auto* conv = std::get_if<Conv>(&step)) {
      static const char* names[] = {"conv", "conv_backprop_input", "conv_backprop_filter"};
      static const char* lists[] = {"input",     "filter", "output", "strides",
                                    "dilations", "low",    "high"};  // conv_lists' order
      os << names[static_cast<int>(conv->kind)] << " " << dtype_name(conv->dtype);
      for (size_t l = 0; const auto* v : conv_lists(*conv)) {
        os << " " << lists[l++] << "=[";
        for (size_t k = 0; k < v->size(); ++k) os << (k ? "," : "") << (*v)[k];
        os << "]";
      }
      os << " groups=" << conv->groups << " a=";
      ref(conv->a);
      os << " b=";
      ref(conv->b);
      os << " out=";
      ref(conv->out);
      if (conv->has_epilogue()) {
        os << " epilogue=" << (conv->activation == abi::Epilogue::kRelu ? "relu" : "none");
        if (conv->bias) os << " bias=", ref(*conv->bias);
        if (conv->residual) os << " residual=", ref(*conv->residual);
      }
      os << "\n";
    } else if (const auto* sc = std::get_if<Scatter>(&step)) {
      os << "scatter " << dtype_name(sc->dtype) << " "
         << (sc->combiner < 0 ? "update"
                              : ops::op_info(static_cast<ops::ReduceOp>(sc->combiner)).name)
         << " dims=[";
      for (size_t k = 0; k < sc->dims.size(); ++k) os << (k ? "," : "") << sc->dims[k];
      os << "] rows=" << sc->rows << " slice=" << sc->slice << (sc->indices64 ? " int64" : " int32")
         << " indices operand=";
      ref(sc->operand);
      os << " indices=";
      ref(sc->indices);
      os << " updates=";
      ref(sc->updates);
      os << " out=";
      ref(sc->out);
      os << "\n";
    } else if (const auto* c = std::get_if<Check>(&step)) {
      os << "check ";
      ref(c->flag);
      os << " \"" << c->message << "\"\n";
    } else {
      const auto& print = std::get<Print>(step);
      os << "print \"" << print.texts[0] << "\"";
      for (size_t k = 0; k < print.inputs.size(); ++k) {
        os << " ";
        ref(print.inputs[k].data);
        os << " \"" << print.texts[k + 1] << "\"";
      }
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace tf::rt::gpu
