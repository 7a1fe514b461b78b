// tfjit-ops-doc: writes docs/ops.md, and with --header the public declarations of the table ops
// (frontend/include/tfjit/table_ops.h), from the op tables, so neither can drift from the code.
// CTest checks that the committed files equal this program's output.
#include <iostream>
#include <string>

#include "ops/op_info.h"

namespace {

using tf::core::DTypeSet;

std::string dtypes(DTypeSet set) {
  if (set.contains(tf::bool_) && set.contains(tf::float32)) return "numeric, bool";
  std::string s = set.to_string();
  return s == tf::core::kNumeric.to_string() ? "numeric (" + s + ")" : s;
}

// Ops outside the elementwise and reduction tables: structural primitives and composites.
struct Other {
  const char* signature;
  const char* kind;
  DTypeSet dtypes;
  const char* gradient;
  const char* notes;
};
const Other kOthers[] = {
    {"matmul(a, b, transpose_a, transpose_b)", "primitive", tf::core::kNumeric, "yes",
     "batch axes broadcast (a batch against a 2-D b, shapes known and a not transposed, is "
     "one product of its rows, b not copied); float32 GEMM calls oneDNN (eager and compiled)"},
    {"tensordot(a, b, axes)", "composite (matmul)", tf::core::kNumeric, "yes (composite)", ""},
    {"einsum(equation, {a, b, ...})", "composite (matmul, reduce_sum)", tf::core::kNumeric,
     "yes (composite)", "no repeated index within an operand"},
    {"broadcast_to(x, shape)", "primitive", tf::core::kAll, "yes", "NumPy broadcasting"},
    {"cast(x, dtype)", "primitive", tf::core::kAll, "yes (float to float)",
     "float -> int saturates, NaN -> 0; to bool is x != 0"},
    {"where(cond, x, y)", "primitive", tf::core::kAll, "yes (x, y)",
     "cond is bool; the three broadcast together"},
    {"reshape(x, shape)", "primitive", tf::core::kAll, "yes",
     "one -1 inferred; eager result shares the buffer"},
    {"transpose(x, perm)", "primitive", tf::core::kAll, "yes", "default perm reverses the axes"},
    {"concat(values, axis)", "primitive", tf::core::kAll, "yes", ""},
    {"slice(x, begin, size)", "primitive", tf::core::kAll, "yes", "size -1: to the end"},
    {"reverse(x, axes)", "composite (slice)", tf::core::kAll, "yes (composite)", ""},
    {"expand_dims(x, axis)", "composite (reshape)", tf::core::kAll, "yes (composite)", ""},
    {"squeeze(x, axes)", "composite (reshape)", tf::core::kAll, "yes (composite)", ""},
    {"stack(values, axis)", "composite (concat)", tf::core::kAll, "yes (composite)", ""},
    {"unstack(x, axis)", "composite (slice)", tf::core::kAll, "yes (composite)", ""},
    {"gather(params, indices, axis)", "primitive", tf::core::kAll,
     "yes (params; a scatter-add, linear)",
     "int32/int64 indices; out of range: InvalidArgumentError (compiled: once the call has run)"},
    {"split(x, num or sizes, axis)", "composite (slice)", tf::core::kAll, "yes (composite)", ""},
    {"tile(x, multiples)", "composite (reshape, broadcast_to)", tf::core::kAll, "yes (composite)",
     ""},
    {"pad(x, paddings, value)", "composite (concat)", tf::core::kAll, "yes (composite)",
     "constant mode"},
    {"x(i, j, ...) indexing", "composite (slice, reshape)", tf::core::kAll, "yes (composite)",
     "ints, negative ints, tf::all, tf::slice(start, stop, step), tf::newaxis, tf::ellipsis"},
    {"shape(x), rank(x), size(x)", "constant", tf::core::kAll, "none (constants)", "int32 results"},
    {"clip_by_value(x, lo, hi)", "composite (maximum, minimum)", tf::core::kNumeric,
     "yes (composite)", ""},
    {"divide(x, y), x / y", "composite (realdiv)", tf::core::kNumeric, "yes (composite)",
     "int8/16, uint8 -> float32; int32/64 -> float64"},
    {"argmax(x, axis), argmin(x, axis)", "primitive", tf::core::kNumeric, "none (integer result)",
     "int64 result; first extreme wins; NaN is extreme"},
    {"reduce_mean(x, axis, keepdims)", "composite (reduce_sum)", tf::core::kNumeric,
     "yes (composite)", "integers truncate toward zero"},
    {"reduce_logsumexp(x, axis, keepdims)", "composite", tf::core::kFloat, "yes (composite)",
     "shifted by the max: no overflow"},
    {"softmax(x, axis), log_softmax(x, axis)", "composite", tf::core::kFloat, "yes (composite)",
     ""},
    {"zeros, ones, fill, zeros_like, ones_like", "creation", tf::core::kAll, "none (constants)",
     ""},
    {"range(start, limit, delta), linspace, eye", "creation", tf::core::kNumeric,
     "none (constants)", "range infers int32 or float32"},
    {"one_hot(indices, depth, on, off, dtype)", "composite (equal, where)", tf::core::kAll,
     "none (integer input)", "integer indices; out of range -> off"},
    {"nn::max_pool, max_pool1d/2d/3d", "primitive (reduce_window)", tf::core::kNumeric,
     "yes (first maximum of each window; known dims)",
     "channels last (NWC, NHWC, NDHWC) or first (NCW, NCHW, NCDHW); VALID / SAME; ksize, "
     "strides: 1, N or N+2 values; windows up to 2^24 elements"},
    {"nn::avg_pool, avg_pool1d/2d/3d", "composite (reduce_window)", tf::core::kFloat,
     "yes (a window sum of the spread gradient)",
     "divides by the window's elements inside the input, as TensorFlow does; 16-bit floats "
     "sum in float32"},
    {"nn::pool(input, window_shape, \"MAX\" or \"AVG\", strides, padding)",
     "composite (max_pool, avg_pool)", tf::core::kNumeric, "yes", "AVG: float dtypes"},
    {"nn::conv1d/2d/3d, convolution(input, filters, padding, strides, dilations)",
     "primitive (conv)", tf::core::kFloat, "yes (backprop input / filter primitives; any order)",
     "oneDNN for float32 (eager and compiled); compiled on the CPU, conv + bias add (+ residual "
     "add) (+ relu, relu6, elu, tanh, sigmoid, gelu, silu) is one oneDNN call with post-ops; "
     "GPU: cuDNN eagerly and compiled (with gradients; compiled float32 conv + bias add (+ "
     "residual add) + relu is one cuDNN call; generated kernels compiled where cuDNN does not "
     "load); channels last or first; filters HWIO; VALID, "
     "SAME or explicit padding; strides, dilations; grouped when in_channels divides the "
     "input's"},
    {"nn::conv_transpose, conv1d/2d/3d_transpose(input, filters, output_shape, strides)",
     "primitive (conv backprop input)", tf::core::kFloat, "yes", "filters (k..., out, in)"},
    {"nn::depthwise_conv2d, separable_conv2d", "composite (conv, groups)", tf::core::kFloat,
     "yes (composite)", "filter (h, w, in, multiplier)"},
    {"nn::bias_add(value, bias, data_format)", "composite (add)", tf::core::kNumeric,
     "yes (composite)", "channels last or first"},
    {"nn::leaky_relu(x, alpha), gelu(x, approximate), swish(x, beta)",
     "composite (where; gelu, gelu_tanh, silu)", tf::core::kFloat, "yes (composite)",
     "relu6, elu, selu, silu, softsign, log_sigmoid, hard_sigmoid are table ops"},
    {"nn::softmax_cross_entropy_with_logits(labels, logits, axis), sigmoid_/"
     "weighted_cross_entropy_with_logits",
     "composite (log_softmax; custom gradient)", tf::core::kFloat,
     "yes (fused: softmax - labels, sigmoid - labels)", "numerically stable forms"},
    {"nn::sparse_softmax_cross_entropy_with_logits(labels, logits)",
     "composite (one_hot, softmax_cross_entropy)", tf::core::kFloat, "yes (logits)",
     "int32/int64 labels; out of range: InvalidArgumentError (compiled: once the call has run)"},
    {"nn::log_poisson_loss, l2_loss", "composite", tf::core::kFloat, "yes (composite)",
     "compute_full_loss adds Stirling's term"},
    {"nn::moments, batch_normalization, fused_batch_norm, l2_normalize", "composite",
     tf::core::kFloat, "yes (composite)",
     "fused_batch_norm: training returns the Bessel-corrected batch variance, blended by "
     "exponential_avg_factor"},
    {"nn::local_response_normalization (lrn)", "composite (reduce_window)", tf::core::kFloat,
     "yes (composite)", "4-D NHWC; the channel window clipped at the edges"},
    {"nn::dropout(x, rate, noise_shape, seed)", "composite (random_bits, where)", tf::core::kFloat,
     "yes (composite)", "a new mask at every call, compiled too (unknown dims included)"},
    {"nn::embedding_lookup(params, ids)", "composite (gather)", tf::core::kAll, "yes (params)", ""},
    {"math::reduce_std, reduce_variance, reduce_euclidean_norm; norm(x, ord, axis)", "composite",
     tf::core::kFloat, "yes (composite)", "norm: ord 1, 2 (Frobenius), inf"},
    {"math::polygamma(a, x)", "composite (zeta, lgamma, digamma)", tf::core::kFloat, "yes (x)",
     "NaN where a is not a non-negative whole number"},
    {"clip_by_norm(t, clip_norm, axes), clip_by_global_norm(tensors, clip_norm)", "composite",
     tf::core::kFloat, "yes (composite)", "null tensors stay null"},
    {"image::resize(images, size, \"bilinear\" or \"nearest\")", "composite (gather)",
     tf::core::kNumeric, "yes (composite)",
     "half-pixel centres, as TensorFlow 2; bilinear: float32"},
    {"image::flip_left_right, flip_up_down, random_flip_left_right, per_image_standardization",
     "composite (reverse, random_bits)", tf::core::kNumeric, "yes (composite)",
     "standardisation in float32"},
    {"sort(values, axis, direction), argsort", "primitive (argsort, take_along_axis)",
     tf::core::kNumeric, "sort: yes (through the inverse permutation)",
     "stable; NaN above every number; compiled CPU: the eager sort; GPU: rank kernels, "
     "quadratic in the axis"},
    {"unique(x, out_idx), unique_with_counts", "composite (argsort, gather)",
     tf::core::kNumeric | tf::core::DTypeSet{tf::bool_, tf::string}, "y: yes (through gather)",
     "eager only (the size depends on the values); NaNs distinct; strings hashed on the host"},
    {"math::top_k(input, k), in_top_k(targets, predictions, k)",
     "composite (argsort, take_along_axis)", tf::core::kNumeric,
     "top_k values: yes (in_top_k: float predictions)",
     "ties in index order; in_top_k: ties at the boundary count, targets checked"},
    {"math::unsorted_segment_sum/mean/sqrt_n/max/min/prod(data, ids, num_segments), "
     "segment_sum/mean/max/min(data, ids)",
     "composite (scatter)", tf::core::kNumeric, "yes (data; max/min split between ties)",
     "linear: O(rows x row size); ids a prefix of data's shape; negative ids dropped, ids past "
     "the end raise; sorted forms: eager ids only"},
    {"tensor_scatter_nd_update/add/sub/max/min(tensor, indices, updates), "
     "scatter_nd(indices, updates, shape)",
     "primitive (scatter)", tf::core::kAll, "yes (tensor, updates; max/min split between ties)",
     "update: all dtypes, the others numeric; indices out of range raise (compiled: once the call "
     "has run); eager and compiled, the device's kernel: on the CPU one pass over the rows in "
     "order, on the GPU O(updates), combining by atomics (float sums in no fixed order)"},
    {"gather_nd(params, indices)", "composite (gather; scatter gradient)", tf::core::kAll,
     "yes (params)", "indices out of range raise; traced: params' indexed dims known"},
    {"math::bincount(arr, weights, minlength, maxlength, dtype, binary_output)",
     "composite (scatter)", tf::core::kNumeric, "weights (TensorFlow: none)",
     "traced: minlength == maxlength (the length depends on arr's values)"},
    {"linalg::matmul, tensordot, einsum, norm", "aliases", tf::core::kNumeric, "yes", ""},
    {"random::normal, uniform, truncated_normal", "composite (random_bits)", tf::core::kNumeric,
     "none (a draw is not differentiable)",
     "Philox4x32-10; a new draw at every call, compiled too; set_seed and op seeds; "
     "normal/truncated: float dtypes"},
};

// The public header: one declaration per table line, with its doc line, so that an IDE lands
// on a declaration and the installed headers need no table.
void print_header() {
  std::cout
      << "// clang-format off\n// The table ops' declarations: generated by `tfjit-ops-doc "
         "--header` from "
         "ops/elementwise_ops.def,\n"
         "// ops/reduction_ops.def and ops/scan_ops.def (do not edit; `ctest -R "
         "table_ops_header` checks it is current).\n"
         "#pragma once\n\n#include <type_traits>\n\n#include \"tfjit/export.h\"\n#include "
         "\"tfjit/tensor.h\"\n\n"
         "TFJIT_API_BEGIN\nnamespace tf {\n\n"
         "// --- Elementwise (NumPy broadcasting; both tensors must have the same dtype) ---\n";
  auto decl = [](const tf::ops::ElementwiseOpInfo& info, const char* params) {
    std::cout << "\n// " << info.name << ": " << info.dtypes.to_string() << " -> "
              << (info.bool_result ? "bool" : "the input's dtype")
              << (info.differentiable ? "; differentiable" : "; no gradient") << ".\n"
              << "Tensor " << info.name << params << ";\n";
  };
  for (int i = 0; i < tf::ops::kNumUnary; ++i)
    decl(tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i)), "(const Tensor& x)");
  for (int i = 0; i < tf::ops::kNumBinary; ++i)
    decl(tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i)), "(const Tensor& x, const Tensor& y)");
  std::cout << "\n// C++ numbers where TensorFlow takes Python numbers (tf::pow(x, 2), "
               "tf::maximum(x, 0)):\n// converted to the tensor's dtype, as the operators do.\n"
               "#define TFJIT_WITH_SCALARS(name)                                  \\\n"
               "  template <class S>                                              \\\n"
               "    requires std::is_arithmetic_v<S>                              \\\n"
               "  Tensor name(const Tensor& x, S y) {                             \\\n"
               "    return name(x, scalar_like(x, static_cast<double>(y)));       \\\n"
               "  }                                                               \\\n"
               "  template <class S>                                              \\\n"
               "    requires std::is_arithmetic_v<S>                              \\\n"
               "  Tensor name(S x, const Tensor& y) {                             \\\n"
               "    return name(scalar_like(y, static_cast<double>(x)), y);       \\\n"
               "  }\n";
  for (int i = 0; i < tf::ops::kNumBinary; ++i)
    std::cout << "TFJIT_WITH_SCALARS(" << tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i)).name
              << ")\n";
  std::cout << "#undef TFJIT_WITH_SCALARS\n";
  std::cout << "\n// --- Reductions over `axis` (all by default), keeping reduced axes as 1 with "
               "keepdims ---\n";
  for (int i = 0; i < tf::ops::kNumReduce; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::ReduceOp>(i));
    std::cout << "\n// " << info.name << ": " << info.dtypes.to_string() << ".\n"
              << "Tensor " << info.name
              << "(const Tensor& x, Axes axis = {}, bool keepdims = false);\n";
  }
  std::cout << "\n// --- Cumulative ops along `axis`: the scan table (ops/scan_ops.def) ---\n";
  for (int i = 0; i < tf::ops::kNumScans; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::ScanOp>(i));
    std::cout << "\n// " << info.name << ": " << info.dtypes.to_string() << " (combining by "
              << info.combiner << "); differentiable.\n"
              << "Tensor " << info.name
              << "(const Tensor& x, int64_t axis = 0, bool exclusive = false, bool reverse = "
                 "false);\n";
  }
  // TensorFlow places these under tf.math too (tf.math.add, tf.math.reduce_sum, ...).
  std::cout
      << "\n// --- The same ops under tf::math, as TensorFlow's tf.math.* ---\nnamespace math {\n";
  for (int i = 0; i < tf::ops::kNumUnary; ++i)
    std::cout << "using tf::" << tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i)).name << ";\n";
  for (int i = 0; i < tf::ops::kNumBinary; ++i)
    std::cout << "using tf::" << tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i)).name << ";\n";
  for (int i = 0; i < tf::ops::kNumReduce; ++i)
    std::cout << "using tf::" << tf::ops::op_info(static_cast<tf::ops::ReduceOp>(i)).name << ";\n";
  for (int i = 0; i < tf::ops::kNumScans; ++i)
    std::cout << "using tf::" << tf::ops::op_info(static_cast<tf::ops::ScanOp>(i)).name << ";\n";
  std::cout << "}  // namespace math\n";
  std::cout << "\n}  // namespace tf\nTFJIT_API_END\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--header" && argc == 2) {
    print_header();
    return 0;
  }
  if (argc > 1) {
    std::cerr << "usage: tfjit-ops-doc > docs/ops.md\n"
                 "       tfjit-ops-doc --header > frontend/include/tfjit/table_ops.h\n"
                 "(prints the op reference, or the table ops' public declarations, generated from "
                 "the op tables)\n";
    return std::string(argv[1]) == "--help" ? 0 : 1;
  }
  std::cout << "# Ops reference\n\n"
               "Generated by `tfjit-ops-doc` from the op tables "
               "(`ops/elementwise_ops.def`,\n"
               "`reduction_ops.def`); `ctest -R ops_doc` fails if this file is out of date. Every "
               "op runs\n"
               "eagerly on CPU and compiles inside `tf::function` (uint8, complex64 and string "
               "tensors are\n"
               "not compiled yet: a typed error). On a GPU the ops run as eager CUDA kernels "
               "(matmul through cuBLAS, convolutions through cuDNN; complex64 and string tensors "
               "stay on the CPU) and compile "
               "into GPU kernels. Gradients are "
               "for real\n"
               "(floating) tensors; complex gradients are not supported yet.\n\n"
               "## Elementwise (NumPy broadcasting, operands of one dtype)\n\n"
               "| op | dtypes | result | gradient |\n|---|---|---|---|\n";
  auto row = [](const tf::ops::ElementwiseOpInfo& info, const char* args) {
    std::cout << "| `" << info.name << args << "` | " << dtypes(info.dtypes) << " | "
              << (info.bool_result ? "bool" : "same") << " | "
              << (info.differentiable ? "yes" : "none") << " |\n";
  };
  for (int i = 0; i < tf::ops::kNumUnary; ++i)
    row(tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i)), "(x)");
  for (int i = 0; i < tf::ops::kNumBinary; ++i)
    row(tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i)), "(x, y)");
  std::cout << "\nOperators: `+ - * / %` (add, subtract, multiply, divide, floormod), `== != < <= "
               "> >=`,\n"
               "`& | ^ ~` on bool tensors, unary `-`. A C++ number on either side becomes a scalar "
               "of the\n"
               "tensor's dtype; one that does not fit exactly (1.5 for int32) is an "
               "InvalidArgumentError.\n"
               "Integer `floordiv`/`floormod` by zero raise InvalidArgumentError, eagerly and "
               "compiled.\n\n"
               "## Reductions (`axis`: all by default, an int, or a list; `keepdims`)\n\n"
               "| op | dtypes | gradient |\n|---|---|---|\n";
  for (int i = 0; i < tf::ops::kNumReduce; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::ReduceOp>(i));
    bool real = info.dtypes.contains(tf::float32);
    std::cout << "| `" << info.name << "(x, axis, keepdims)` | " << dtypes(info.dtypes) << " | "
              << (!real                                     ? "none (bool)"
                  : std::string(info.name) == "reduce_prod" ? "yes (non-zero inputs)"
                                                            : "yes")
              << " |\n";
  }
  std::cout << "\n## Cumulative ops (one scan primitive; `axis`, `exclusive`, `reverse`)\n\n"
               "| op | dtypes | combiner | gradient |\n|---|---|---|---|\n";
  for (int i = 0; i < tf::ops::kNumScans; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::ScanOp>(i));
    std::cout << "| `" << info.name << "(x, axis, exclusive, reverse)` | " << dtypes(info.dtypes)
              << " | " << info.combiner << " | yes |\n";
  }
  std::cout
      << "\n## Other ops\n\n| op | kind | dtypes | gradient | notes |\n|---|---|---|---|---|\n";
  for (const auto& o : kOthers)
    std::cout << "| `" << o.signature << "` | " << o.kind << " | " << dtypes(o.dtypes) << " | "
              << o.gradient << " | " << o.notes << " |\n";
  return 0;
}
