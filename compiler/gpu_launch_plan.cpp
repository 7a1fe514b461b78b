// The host side of a graph lowered to GPU kernels, turned into a launch plan (rt::gpu::Program):
// after outlining and folding, @main only allocates, views, launches kernels with constant
// shapes, calls GEMMs and copies. Each memref is tracked as (buffer, byte offset, static type),
// so every kernel parameter (MLIR's memref descriptor: allocated and aligned pointer, offset,
// sizes, strides) is known before the first call and the runtime only patches in addresses.
// Host control flow (tf::cond, tf::while_loop: blocks of @main) becomes Branch and Jump steps:
// a predicate loaded from a GPU buffer is read by the runtime when it branches, and memrefs
// passed to a block are copied into that block argument's own buffer.
#include <cstring>
#include <map>

#include "compiler/gpu_codegen.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "runtime/gpu_program.h"
#include "runtime/library_abi.h"
#include "tfjit/errors.h"

using namespace mlir;
using tf::rt::gpu::BufferRef;
using tf::rt::gpu::KernelParam;
using tf::rt::gpu::ProgramBuffer;

namespace tf::compiler {

std::string ptx_entry_name(llvm::StringRef module, llvm::StringRef kernel) {
  // Outlining names every kernel after its function (main_kernel) in a uniquely named module.
  std::string name = module.str();
  if (kernel != "main_kernel") name.append("_").append(kernel.str());
  return name;
}

namespace {

constexpr size_t kMaxParameterBytes = 32764;

int64_t element_bytes(Type t) { return (t.getIntOrFloatBitWidth() + 7) / 8; }

[[noreturn]] void unsupported(Operation* op, const std::string& why) {
  throw UnimplementedError("running this graph on the GPU: " + why + " (`" +
                           op->getName().getStringRef().str() + "` on the host)");
}

// A memref on the host: where its aligned pointer points, and its static type.
struct Memref {
  int32_t buffer = 0;
  int64_t byte_offset = 0;
  MemRefType type;
};

class PlanBuilder {
 public:
  PlanBuilder(ModuleOp module, rt::gpu::Program& program) : module_(module), program_(program) {}

  void build(func::FuncOp main, size_t num_arguments) {
    if (main.getNumArguments() < num_arguments)
      unsupported(main, "the entry has fewer arguments than the graph");
    program_.num_arguments = static_cast<int>(num_arguments);
    program_.num_results = static_cast<int>(main.getNumArguments() - num_arguments);
    if (main.getNumResults() != 0) unsupported(main, "results not written to out-parameters");
    for (BlockArgument arg : main.getArguments()) {
      auto kind = arg.getArgNumber() < num_arguments ? ProgramBuffer::Kind::kArgument
                                                     : ProgramBuffer::Kind::kResult;
      memrefs_[arg] = {add_buffer(kind, static_type(main, arg.getType())), 0,
                       cast<MemRefType>(arg.getType())};
    }
    for (Block& block : main.getBody()) {
      block_start_[&block] = static_cast<int32_t>(program_.steps.size());
      if (!block.isEntryBlock())
        for (BlockArgument arg : block.getArguments()) block_argument(&block.front(), arg);
      for (Operation& op : block) visit(&op);
    }
    if (!pending_print_.inputs.empty()) unsupported(main, "a print without its end");
    for (auto [step, block] : jumps_) {  // targets are known now
      int32_t target = block ? block_start_.at(block) : static_cast<int32_t>(program_.steps.size());
      if (auto* jump = std::get_if<rt::gpu::Jump>(&program_.steps[step])) jump->target = target;
    }
  }

 private:
  MemRefType static_type(Operation* op, Type t) {
    auto type = dyn_cast<MemRefType>(t);
    if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat())
      unsupported(op, "a buffer without a static shape");
    return type;
  }

  int32_t add_buffer(ProgramBuffer::Kind kind, MemRefType type, std::string data = {}) {
    return add_bytes(kind, type.getNumElements() * element_bytes(type.getElementType()),
                     std::move(data));
  }

  int32_t add_bytes(ProgramBuffer::Kind kind, int64_t bytes, std::string data = {}) {
    ProgramBuffer b;
    b.kind = kind;
    b.bytes = bytes;
    b.data = std::move(data);
    program_.buffers.push_back(std::move(b));
    return static_cast<int32_t>(program_.buffers.size() - 1);
  }

  const Memref& memref(Operation* user, Value v) {
    auto it = memrefs_.find(v);
    if (it == memrefs_.end()) unsupported(user, "a buffer of unknown origin");
    return it->second;
  }

  // The address of a memref that is contiguous and row-major (GEMM operands, copies).
  BufferRef contiguous(Operation* user, Value v) {
    const Memref& m = memref(user, v);
    auto [strides, offset] = getStridesAndOffset(m.type);
    int64_t expected = 1;
    for (int64_t i = m.type.getRank() - 1; i >= 0; --i) {
      if (m.type.getDimSize(i) != 1 && strides[i] != expected)
        unsupported(user, "a strided operand where a contiguous one is needed");
      expected *= m.type.getDimSize(i);
    }
    return {m.buffer, m.byte_offset + offset * element_bytes(m.type.getElementType())};
  }

  static std::optional<KernelParam> scalar(Value v) {
    Attribute attr;
    if (!matchPattern(v, m_Constant(&attr))) return std::nullopt;
    KernelParam p;
    if (auto i = dyn_cast<IntegerAttr>(attr)) {
      p.kind = KernelParam::Kind::kInteger;
      p.value = static_cast<uint64_t>(i.getType().isInteger(1) ? i.getValue().getZExtValue()
                                                               : i.getValue().getSExtValue());
      return p;
    }
    if (auto f = dyn_cast<FloatAttr>(attr)) {
      if (f.getType().isF32()) {
        p.kind = KernelParam::Kind::kFloat32;
        p.value = std::bit_cast<uint32_t>(static_cast<float>(f.getValueAsDouble()));
        return p;
      }
      if (f.getType().isF64()) {
        p.kind = KernelParam::Kind::kFloat64;
        p.value = std::bit_cast<uint64_t>(f.getValueAsDouble());
        return p;
      }
      if (f.getType().getIntOrFloatBitWidth() == 16) {  // f16, bf16: the bits (a .b16 parameter)
        p.kind = KernelParam::Kind::kInteger;
        p.value = f.getValue().bitcastToAPInt().getZExtValue();
        return p;
      }
    }
    return std::nullopt;
  }

  // A constant launch size within the hardware's `limit` for that dimension.
  static uint32_t launch_dim(Operation* op, Value v, uint64_t limit) {
    auto p = scalar(v);
    if (!p || p->kind != KernelParam::Kind::kInteger || p->value == 0)
      unsupported(op, "a launch size that is not a constant");
    if (p->value > limit)
      unsupported(op, "a launch size of " + std::to_string(p->value) + " (the limit is " +
                          std::to_string(limit) + ")");
    return static_cast<uint32_t>(p->value);
  }

  void visit(Operation* op) {
    if (isa<arith::ConstantOp, memref::DeallocOp>(op)) return;
    if (isa<func::ReturnOp>(op)) {
      if (op->getBlock() != &op->getParentRegion()->back()) jump_to(nullptr);  // to the end
      return;
    }
    if (auto load = dyn_cast<memref::LoadOp>(op)) return define_predicate(load);
    if (auto br = dyn_cast<cf::BranchOp>(op)) {
      pass_operands(br, br.getDest(), br.getDestOperands());
      return jump_to(br.getDest());
    }
    if (auto br = dyn_cast<cf::CondBranchOp>(op)) return add_branch(br);
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) return define_new(op, alloc.getType());
    if (auto alloca = dyn_cast<memref::AllocaOp>(op)) return define_new(op, alloca.getType());
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) return define_global(get);
    if (auto view = dyn_cast<memref::ViewOp>(op)) {
      auto shift = scalar(view.getByteShift());
      if (!shift || !view.getSizes().empty()) unsupported(op, "a view with dynamic sizes");
      Memref m = memref(op, view.getSource());
      m.byte_offset += static_cast<int64_t>(shift->value);
      m.type = static_type(op, view.getType());
      memrefs_[view.getResult()] = m;
      return;
    }
    if (auto like = dyn_cast<ViewLikeOpInterface>(op)) {
      Memref m = memref(op, like.getViewSource());
      auto type = dyn_cast<MemRefType>(op->getResult(0).getType());  // null: unranked
      // A cast to dynamic sizes or no rank (to call a library function) keeps the source's
      // static type.
      if (type && type.hasStaticShape() && isStrided(type)) {
        auto [strides, offset] = getStridesAndOffset(type);
        bool dynamic = offset == ShapedType::kDynamic;
        for (int64_t s : strides) dynamic |= s == ShapedType::kDynamic;
        if (!dynamic)
          m.type = type;
        else if (!isa<memref::CastOp>(op))
          unsupported(op, "a view with a dynamic layout");
      } else if (!isa<memref::CastOp>(op)) {
        unsupported(op, "a view with dynamic sizes");
      }
      memrefs_[op->getResult(0)] = m;
      return;
    }
    if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) return add_launch(launch);
    if (auto call = dyn_cast<func::CallOp>(op)) {
      if (call.getCallee() == rt::abi::kFailIf) return add_check(call);
      if (call.getCallee().starts_with(rt::abi::kPrintPrefix)) return add_print(call);
      if (call.getCallee() == rt::abi::kConv || call.getCallee() == rt::abi::kConvFused)
        return add_conv(call);
      if (call.getCallee().starts_with(rt::abi::kScatterPrefix)) return add_scatter(call);
      return add_gemm(call);
    }
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      rt::gpu::Copy c;
      c.source = contiguous(op, copy.getSource());
      c.destination = contiguous(op, copy.getTarget());
      auto type = cast<MemRefType>(copy.getSource().getType());
      c.bytes = type.getNumElements() * element_bytes(type.getElementType());
      program_.steps.emplace_back(c);
      return;
    }
    unsupported(op, "an operation the GPU launch plan does not support");
  }

  // A predicate of host control flow: one byte of a GPU buffer, copied aside where it is loaded
  // (later steps may reuse its memory) and read by the runtime when it branches.
  void define_predicate(memref::LoadOp load) {
    if (!load.getType().isInteger(1)) unsupported(load, "a value read back to the host");
    for (Value index : load.getIndices())
      if (auto p = scalar(index); !p || p->value != 0)
        unsupported(load, "a predicate read at a computed index");
    rt::gpu::Copy copy;
    copy.source = contiguous(load, load.getMemRef());
    copy.destination = {add_bytes(ProgramBuffer::Kind::kTemporary, 1), 0};
    copy.bytes = 1;
    program_.steps.emplace_back(copy);
    predicates_[load.getResult()] = copy.destination;
  }

  // cf.cond_br: a Branch step, then for each side the steps that copy that side's operands into
  // its block's arguments and jump to the block; the Branch goes to one side or the other.
  void add_branch(cf::CondBranchOp br) {
    auto it = predicates_.find(br.getCondition());
    if (it == predicates_.end()) unsupported(br, "a branch on a value computed on the host");
    const size_t branch = program_.steps.size();
    program_.steps.emplace_back(rt::gpu::Branch{it->second, 0, 0});
    const auto if_true = static_cast<int32_t>(program_.steps.size());
    pass_operands(br, br.getTrueDest(), br.getTrueDestOperands());
    jump_to(br.getTrueDest());
    const auto if_false = static_cast<int32_t>(program_.steps.size());
    pass_operands(br, br.getFalseDest(), br.getFalseDestOperands());
    jump_to(br.getFalseDest());
    auto& b = std::get<rt::gpu::Branch>(program_.steps[branch]);
    b.if_true = if_true;
    b.if_false = if_false;
  }

  void jump_to(Block* block) {  // null: the end of the program
    jumps_.emplace_back(program_.steps.size(), block);
    program_.steps.emplace_back(rt::gpu::Jump{});
  }

  // A block argument's own buffer (contiguous, of its shape), made at its first use.
  const Memref& block_argument(Operation* user, BlockArgument arg) {
    if (auto it = memrefs_.find(arg); it != memrefs_.end()) return it->second;
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type) unsupported(user, "a host value passed between blocks");
    auto identity = MemRefType::get(type.getShape(), type.getElementType());
    return memrefs_[arg] = {
               add_buffer(ProgramBuffer::Kind::kTemporary, static_type(user, identity)), 0,
               identity};
  }

  // Copies a branch's operands into its destination's arguments, one after another. That is
  // right only if no copy reads an argument another has just written; bufferization gives loop
  // variables fresh buffers, so traced graphs never pass a block its own arguments elsewhere, and
  // a graph that did is refused rather than miscopied.
  void pass_operands(Operation* br, Block* dest, OperandRange operands) {
    std::vector<rt::gpu::Copy> copies;
    for (auto [arg, operand] : llvm::zip(dest->getArguments(), operands)) {
      rt::gpu::Copy c;
      const Memref& to = block_argument(br, arg);
      c.destination = {to.buffer, 0};
      c.source = contiguous(br, operand);
      c.bytes = to.type.getNumElements() * element_bytes(to.type.getElementType());
      if (c.source.buffer == c.destination.buffer && c.source.byte_offset == 0) continue;
      copies.push_back(c);
    }
    for (const auto& c : copies)
      for (const auto& d : copies)
        if (c.source.buffer == d.destination.buffer)
          unsupported(br, "a branch passing a block its own arguments in other places");
    for (const auto& c : copies) program_.steps.emplace_back(c);
  }

  void define_new(Operation* op, MemRefType type) {
    if (!type.getLayout().isIdentity()) unsupported(op, "an allocation with a layout");
    memrefs_[op->getResult(0)] = {
        add_buffer(ProgramBuffer::Kind::kTemporary, static_type(op, type)), 0, type};
  }

  void define_global(memref::GetGlobalOp get) {
    auto global = module_.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
    auto value = global ? dyn_cast_or_null<DenseElementsAttr>(*global.getInitialValue())
                        : DenseElementsAttr();
    if (!value) unsupported(get, "a global without a constant value");
    MemRefType type = static_type(get, get.getType());
    auto it = globals_.find(global.getSymName().str());
    if (it == globals_.end()) {
      std::string bytes;
      const int64_t n = type.getNumElements(), width = element_bytes(type.getElementType());
      bytes.reserve(static_cast<size_t>(n * width));
      if (type.getElementType().isInteger(1)) {  // bit-packed in the attribute, a byte each here
        for (bool b : value.getValues<bool>()) bytes.push_back(b ? 1 : 0);
      } else {
        ArrayRef<char> raw = value.getRawData();
        for (int64_t i = 0; i < (value.isSplat() ? n : 1); ++i)
          bytes.append(raw.data(), raw.size());
      }
      if (static_cast<int64_t>(bytes.size()) != n * width)
        unsupported(get, "a constant whose bytes do not match its type");
      it = globals_
               .emplace(global.getSymName().str(),
                        add_buffer(ProgramBuffer::Kind::kConstant, type, std::move(bytes)))
               .first;
    }
    memrefs_[get.getResult()] = {it->second, 0, type};
  }

  void add_launch(gpu::LaunchFuncOp launch) {
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
        launch.getDynamicSharedMemorySize() || launch.hasClusterSize())
      unsupported(launch, "an asynchronous or clustered launch");
    rt::gpu::Launch l;
    l.kernel = ptx_entry_name(launch.getKernelModuleName(), launch.getKernelName());
    auto grid = launch.getGridSizeOperandValues(), block = launch.getBlockSizeOperandValues();
    // CUDA's limits: gridDim.x < 2^31, gridDim.y/z and blockDim.z <= 65535/64, 1024 threads.
    l.grid = {launch_dim(launch, grid.x, INT32_MAX), launch_dim(launch, grid.y, 65535),
              launch_dim(launch, grid.z, 65535)};
    l.block = {launch_dim(launch, block.x, 1024), launch_dim(launch, block.y, 1024),
               launch_dim(launch, block.z, 64)};
    if (uint64_t{l.block[0]} * l.block[1] * l.block[2] > 1024)
      unsupported(launch, "a block of more than 1024 threads");
    for (Value v : launch.getKernelOperands()) {
      if (isa<MemRefType>(v.getType())) {
        const Memref& m = memref(launch, v);
        auto [strides, offset] = getStridesAndOffset(m.type);
        KernelParam address;
        address.kind = KernelParam::Kind::kAddress;
        address.address = {m.buffer, m.byte_offset};
        l.params.push_back(address);  // allocated pointer
        l.params.push_back(address);  // aligned pointer
        auto integer = [&](int64_t value) {
          KernelParam p;
          p.value = static_cast<uint64_t>(value);
          l.params.push_back(p);
        };
        integer(offset);
        for (int64_t size : m.type.getShape()) integer(size);
        for (int64_t stride : strides) integer(stride);
      } else if (auto p = scalar(v)) {
        l.params.push_back(*p);
      } else {
        unsupported(launch, "a kernel argument computed on the host");
      }
    }
    // PTX 8.1 allows 32764 bytes of kernel parameters; each of ours takes at most 8. (A fused
    // kernel passes every operand as a memref descriptor: 3 + 2 * rank values.)
    if (l.params.size() * 8 > kMaxParameterBytes)
      unsupported(launch, "a kernel with " + std::to_string(l.params.size()) +
                              " parameters (up to " + std::to_string(l.params.size() * 8) +
                              " bytes; PTX allows " + std::to_string(kMaxParameterBytes) + ")");
    program_.steps.emplace_back(std::move(l));
  }

  // A constant text (compiler/lowering/to_linalg/effects.cpp): its bytes up to the NUL.
  std::string text(Operation* user, Value v) {
    const Memref& m = memref(user, v);
    const auto& buffer = program_.buffers[static_cast<size_t>(m.buffer)];
    if (buffer.kind != ProgramBuffer::Kind::kConstant || buffer.data.empty())
      unsupported(user, "a text that is not a constant");
    return buffer.data.substr(0, buffer.data.find('\0'));
  }

  // tf::print (compiler/lowering/to_linalg/effects.cpp): tfjit_print_<dtype>(value, text before it)
  // per input, then tfjit_print_end(text after the last) makes the Print step.
  void add_print(func::CallOp call) {
    if (call.getCallee() == rt::abi::kPrintEnd) {
      pending_print_.texts.push_back(text(call, call.getOperand(0)));
      program_.steps.emplace_back(std::exchange(pending_print_, {}));
      return;
    }
    const Memref& m = memref(call, call.getOperand(0));
    rt::gpu::PrintInput in;
    auto dtype = tfjit::dtype_of(m.type.getElementType());
    if (!dtype) unsupported(call, "printing this element type");
    in.dtype = *dtype;
    auto [strides, offset] = getStridesAndOffset(m.type);
    for (int64_t s : strides)
      if (s < 0) unsupported(call, "printing a view with negative strides");
    in.data = {m.buffer, m.byte_offset + offset * element_bytes(m.type.getElementType())};
    in.shape.assign(m.type.getShape().begin(), m.type.getShape().end());
    in.strides.assign(strides.begin(), strides.end());
    pending_print_.inputs.push_back(std::move(in));
    pending_print_.texts.push_back(text(call, call.getOperand(1)));
  }

  // tfjit.fail_if (compiler/lowering/to_linalg/effects.cpp): its flag, and its message from the
  // bytes of the constant text.
  void add_check(func::CallOp call) {
    // The flag is copied aside where the check stands: its own memory may be reused by later
    // steps (buffers share an arena planned by liveness), and it is read after the last. All
    // flags share one buffer, a byte each, so the runtime reads them with one copy.
    if (flags_ < 0) flags_ = add_bytes(ProgramBuffer::Kind::kTemporary, 0);
    rt::gpu::Copy copy;
    copy.source = contiguous(call, call.getOperand(0));
    copy.destination = {flags_, program_.buffers[static_cast<size_t>(flags_)].bytes++};
    copy.bytes = 1;
    program_.steps.emplace_back(copy);
    program_.steps.emplace_back(rt::gpu::Check{copy.destination, text(call, call.getOperand(1))});
  }

  void add_gemm(func::CallOp call) {
    // compiler/lowering/matmul_to_library_call.cpp: C = op(A) * op(B), float32, optionally
    // batched; operands (a, b, c, transpose_a, transpose_b), the flags constants.
    const bool batched = call.getCallee() == rt::abi::kSgemmBatched;
    if (!batched && call.getCallee() != rt::abi::kSgemm)
      unsupported(call, "a call to " + call.getCallee().str());
    if (call.getNumOperands() != 5) unsupported(call, "a GEMM call with unexpected operands");
    auto flag = [&](unsigned i) {
      auto c = call.getOperand(i).getDefiningOp<arith::ConstantIntOp>();
      if (!c) unsupported(call, "a GEMM transpose flag that is not a constant");
      return c.value() != 0;
    };
    rt::gpu::Gemm g;
    g.dtype = DType::float32;
    g.a = contiguous(call, call.getOperand(0));
    g.b = contiguous(call, call.getOperand(1));
    g.c = contiguous(call, call.getOperand(2));
    g.transpose_a = flag(3);
    g.transpose_b = flag(4);
    auto a = memref(call, call.getOperand(0)).type, c = memref(call, call.getOperand(2)).type;
    const int64_t lead = batched ? 1 : 0;
    if (a.getRank() != 2 + lead || c.getRank() != 2 + lead)
      unsupported(call, "a GEMM operand of unexpected rank");
    g.batch = batched ? c.getDimSize(0) : 1;
    g.m = c.getDimSize(lead);
    g.n = c.getDimSize(lead + 1);
    g.k = a.getDimSize(g.transpose_a ? lead : lead + 1);
    program_.steps.emplace_back(g);
  }

  // tfjit.scatter as the GPU's eager kernel (compiler/lowering/to_linalg/scatter.cpp): operand,
  // indices, updates and out, then the combiner and the indices' width as constants.
  void add_scatter(func::CallOp call) {
    if (call.getNumOperands() != 6) unsupported(call, "a scatter call with unexpected operands");
    rt::gpu::Scatter s;
    s.operand = contiguous(call, call.getOperand(0));
    s.indices = contiguous(call, call.getOperand(1));
    s.updates = contiguous(call, call.getOperand(2));
    s.out = contiguous(call, call.getOperand(3));
    auto combiner = scalar(call.getOperand(4)), bits = scalar(call.getOperand(5));
    MemRefType x = memref(call, call.getOperand(0)).type,
               indices = memref(call, call.getOperand(1)).type;
    auto dtype = tfjit::dtype_of(x.getElementType());
    if (!combiner || !bits || !dtype || indices.getRank() < 1)
      unsupported(call, "a scatter whose combiner, index width or dtype is not a constant");
    const int64_t depth = indices.getDimSize(indices.getRank() - 1);
    if (depth > x.getRank() || depth > static_cast<int64_t>(rt::gpu::kMaxScatterDims))
      unsupported(call, "a scatter with index tuples of " + std::to_string(depth) + " dims");
    s.dtype = *dtype;
    s.dims.assign(x.getShape().begin(), x.getShape().begin() + depth);
    s.rows = 1;
    for (int64_t d : indices.getShape().drop_back()) s.rows *= d;
    for (int64_t d : x.getShape().drop_front(static_cast<size_t>(depth))) s.slice *= d;
    s.indices64 = bits->value == 64;
    s.combiner = static_cast<int32_t>(static_cast<int64_t>(combiner->value));
    program_.steps.emplace_back(std::move(s));
  }

  // compiler/lowering/to_linalg/conv.cpp: conv(a, b, out, attributes), unranked casts of static
  // memrefs, the attributes a constant [kind, groups, strides, dilations, low, high]; or
  // conv_fused(a, b, bias, residual, out, attributes) with [act, has_bias, has_residual] after
  // them (runtime/library_abi.h).
  void add_conv(func::CallOp call) {
    const bool fused = call.getCallee() == rt::abi::kConvFused;
    const unsigned out_at = fused ? 4 : 2;
    if (call.getNumOperands() != out_at + 2)
      unsupported(call, "a convolution call with unexpected operands");
    rt::gpu::Conv c;
    c.a = contiguous(call, call.getOperand(0));
    c.b = contiguous(call, call.getOperand(1));
    c.out = contiguous(call, call.getOperand(out_at));
    const Memref& attrs = memref(call, call.getOperand(out_at + 1));
    const auto& bytes = program_.buffers[static_cast<size_t>(attrs.buffer)].data;
    if (attrs.byte_offset != 0)
      unsupported(call, "convolution attributes inside a larger constant");
    std::vector<int64_t> a(bytes.size() / sizeof(int64_t));
    std::memcpy(a.data(), bytes.data(), a.size() * sizeof(int64_t));
    auto shape = [&](unsigned i) {
      auto t = memref(call, call.getOperand(i)).type;
      return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
    };
    const size_t spatial = shape(0).size() - 2;
    if (program_.buffers[static_cast<size_t>(attrs.buffer)].kind !=
            ProgramBuffer::Kind::kConstant ||
        a.size() != 2 + 4 * spatial + (fused ? 3 : 0) || a[0] < 0 || a[0] > 2)
      unsupported(call, "a convolution whose attributes are not a constant");
    auto dtype = tfjit::dtype_of(memref(call, call.getOperand(out_at)).type.getElementType());
    if (!dtype) unsupported(call, "a convolution of this element type");
    c.dtype = *dtype;
    c.kind = static_cast<rt::abi::ConvKind>(a[0]);
    c.groups = a[1];
    auto at = a.begin() + 2;
    for (auto* list : {&c.strides, &c.dilations, &c.low, &c.high}) {
      list->assign(at, at + static_cast<int64_t>(spatial));
      at += static_cast<int64_t>(spatial);
    }
    switch (c.kind) {  // the operands in the kind's order (runtime/primitives/conv.h)
      case rt::abi::ConvKind::kForward:
        c.input = shape(0), c.filter = shape(1), c.output = shape(out_at);
        break;
      case rt::abi::ConvKind::kBackpropInput:
        c.filter = shape(0), c.output = shape(1), c.input = shape(2);
        break;
      case rt::abi::ConvKind::kBackpropFilter:
        c.input = shape(0), c.output = shape(1), c.filter = shape(2);
        break;
    }
    if (fused) {  // what cuDNN fuses (runtime/gpu_program.cpp checks the same when reading)
      c.activation = static_cast<rt::abi::Epilogue>(*at);
      if (c.kind != rt::abi::ConvKind::kForward || c.dtype != DType::float32 ||
          (c.activation != rt::abi::Epilogue::kNone && c.activation != rt::abi::Epilogue::kRelu))
        unsupported(call, "a fused convolution cuDNN does not fuse");
      if (at[1]) c.bias = contiguous(call, call.getOperand(2));
      if (at[2]) c.residual = contiguous(call, call.getOperand(3));
    }
    program_.steps.emplace_back(std::move(c));
  }

  ModuleOp module_;
  rt::gpu::Program& program_;
  llvm::DenseMap<Value, Memref> memrefs_;
  rt::gpu::Print pending_print_;                  // tfjit_print_<dtype> calls before their end
  int32_t flags_ = -1;                            // the checks' flags, a byte each
  llvm::DenseMap<Value, BufferRef> predicates_;   // i1 values loaded for a branch: a kept byte
  llvm::DenseMap<Block*, int32_t> block_start_;   // each block's first step
  std::vector<std::pair<size_t, Block*>> jumps_;  // Jump steps and their blocks (null: the end)
  std::map<std::string, int32_t> globals_;
};

}  // namespace

void build_launch_plan(ModuleOp module, size_t num_arguments, rt::gpu::Program& program) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main) throw InternalError("GPU launch plan: the module has no @main");
  PlanBuilder(module, program).build(main, num_arguments);
}

}  // namespace tf::compiler
