// TensorFlow's tensor printing: tf.Tensor(<NumPy's str of the values>, shape=..., dtype=...).
// Follows NumPy's defaults: 8 significant fractional digits at most, shortest round-trip
// digits, scientific notation for very large/small spreads, summarised above 1000 elements.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <sstream>

#include "frontend/src/placement.h"
#include "frontend/src/tensor_impl.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/kernels.h"
#include "tfjit/tensor.h"

namespace tf {

namespace {

constexpr int64_t kSummaryThreshold = 1000, kEdgeItems = 3, kLineWidth = 75;

// Shortest "%.<p><conv>" (p <= 8) that reads back as the same value at the dtype's precision.
std::string shortest(double v, bool single, char conv) {
  char buf[64];
  for (int p = 0; p <= 8; ++p) {
    std::snprintf(buf, sizeof buf, conv == 'f' ? "%.*f" : "%.*e", p, v);
    double back = std::strtod(buf, nullptr);
    if (single ? static_cast<float>(back) == static_cast<float>(v) : back == v) return buf;
  }
  std::snprintf(buf, sizeof buf, conv == 'f' ? "%.8f" : "%.8e", v);
  return buf;
}

struct FloatFormat {
  bool scientific = false;
  bool single = true;
  size_t int_width = 0, frac_width = 0;
};

// Splits a positional/scientific string into "integer part", "fraction digits", "exponent".
struct Parts {
  std::string integer, fraction, exponent;
  bool special = false;  // nan / inf
};

Parts split(double v, const FloatFormat& f) {
  Parts p;
  if (!std::isfinite(v)) {
    p.integer = std::isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf");
    p.special = true;
    return p;
  }
  std::string s = shortest(v, f.single, f.scientific ? 'e' : 'f');
  size_t e = s.find('e');
  if (e != std::string::npos) {
    p.exponent = s.substr(e);
    s = s.substr(0, e);
  }
  size_t dot = s.find('.');
  p.integer = s.substr(0, dot);
  if (dot != std::string::npos) p.fraction = s.substr(dot + 1);
  if (!f.scientific)
    while (!p.fraction.empty() && p.fraction.back() == '0') p.fraction.pop_back();
  return p;
}

FloatFormat plan_floats(const std::vector<double>& values, bool single) {
  FloatFormat f;
  f.single = single;
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v) || v == 0) continue;
    max_abs = std::max(max_abs, std::abs(v));
    min_abs = std::min(min_abs, std::abs(v));
  }
  f.scientific = max_abs >= 1e8 || (max_abs > 0 && (min_abs < 1e-4 || max_abs / min_abs > 1e3));
  for (double v : values) {
    Parts p = split(v, f);
    f.int_width = std::max(f.int_width, p.integer.size());
    if (!p.special) f.frac_width = std::max(f.frac_width, p.fraction.size());
  }
  return f;
}

std::string format_float(double v, const FloatFormat& f) {
  Parts p = split(v, f);
  std::string out(f.int_width > p.integer.size() ? f.int_width - p.integer.size() : 0, ' ');
  out += p.integer;
  if (p.special) return out + std::string(f.frac_width + 1 + (f.scientific ? 4 : 0), ' ');
  out += '.';
  if (f.scientific) {
    out += p.fraction + std::string(f.frac_width - p.fraction.size(), '0') + p.exponent;
  } else {
    out += p.fraction + std::string(f.frac_width - p.fraction.size(), ' ');
  }
  return out;
}

// Python's repr of a single float (what TensorFlow shows for a scalar): "6.0", "0.1", "1e-05".
std::string scalar_float(double v, bool single) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  double a = std::abs(v);
  if (a != 0 && (a < 1e-4 || a >= 1e16)) {
    std::string s = shortest(v, single, 'e');  // "1.0e-05" -> "1e-05"
    size_t e = s.find('e'), dot = s.find('.');
    std::string mant = s.substr(0, e);
    if (dot != std::string::npos) {
      while (mant.back() == '0') mant.pop_back();
      if (mant.back() == '.') mant.pop_back();
    }
    return mant + s.substr(e);
  }
  for (int p = 1; p <= 17; ++p) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", p, v);
    double back = std::strtod(buf, nullptr);
    if (single ? static_cast<float>(back) == static_cast<float>(v) : back == v) {
      std::string s = buf;
      while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
      return s;
    }
  }
  return std::to_string(v);
}

// Flat indices of the elements that are printed (all, or the summary's edges).
void shown_indices(const TensorShape& shape, bool summarize, int64_t dim, int64_t base,
                   std::vector<int64_t>& out) {
  if (dim == shape.rank()) {
    out.push_back(base);
    return;
  }
  int64_t n = shape[dim], stride = 1;
  for (int64_t d = dim + 1; d < shape.rank(); ++d) stride *= shape[d];
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) i = n - kEdgeItems;
    shown_indices(shape, summarize, dim + 1, base + i * stride, out);
  }
}

class Printer {
 public:
  Printer(const detail::TensorImpl& t) : t_(t) {}

  std::string values() {
    int64_t n = t_.shape.num_elements();
    summarize_ = n > kSummaryThreshold;
    std::vector<int64_t> shown;
    shown_indices(t_.shape, summarize_, 0, 0, shown);
    texts_.assign(static_cast<size_t>(n > 0 ? n : 0), {});
    format_elements(shown);
    if (t_.shape.rank() == 0) return texts_.empty() ? "" : texts_[0];
    std::string out;
    print_dim(out, 0, 0, 1);
    return out;
  }

 private:
  void format_elements(const std::vector<int64_t>& shown) {
    const void* data = t_.buffer->data();
    DType dt = t_.dtype;
    auto as_double = [&](int64_t i) {
      double v;
      rt::kernels(rt::DeviceType::kCPU)
          .get<rt::CastKernel>(ops::Primitive::cast, dt, float64)(
              static_cast<const char*>(data) + i * dtype_size(dt), &v, 1);
      return v;
    };
    bool scalar = t_.shape.rank() == 0;
    if (is_floating(dt)) {
      std::vector<double> vals;
      for (int64_t i : shown) vals.push_back(as_double(i));
      bool single = dt != float64;
      if (scalar) {
        texts_[0] = scalar_float(vals[0], single);
        return;
      }
      FloatFormat f = plan_floats(vals, single);
      for (size_t k = 0; k < shown.size(); ++k) texts_[shown[k]] = format_float(vals[k], f);
    } else if (dt == bool_) {
      auto* b = static_cast<const bool*>(data);
      bool any_true = false;
      for (int64_t i : shown) any_true |= b[i];
      for (int64_t i : shown) texts_[i] = b[i] ? (any_true && !scalar ? " True" : "True") : "False";
      if (!scalar) {
        bool any_false = false;
        for (int64_t i : shown) any_false |= !b[i];
        if (!any_false)
          for (int64_t i : shown) texts_[i] = "True";
      }
    } else if (dt == string) {
      auto* s = static_cast<const std::string*>(data);
      for (int64_t i : shown) texts_[i] = "b'" + s[i] + "'";
    } else if (dt == complex64) {
      auto* c = static_cast<const std::complex<float>*>(data);
      for (int64_t i : shown) {
        std::string re = scalar_float(c[i].real(), true),
                    im = scalar_float(std::abs(c[i].imag()), true);
        texts_[i] = re + (c[i].imag() < 0 ? "-" : "+") + im + "j";
        if (scalar) texts_[i] = "(" + texts_[i] + ")";
      }
    } else {
      for (int64_t i : shown) texts_[i] = std::to_string(static_cast<int64_t>(as_double(i)));
      if (dt == int64) {  // exact beyond 2^53
        auto* v = static_cast<const int64_t*>(data);
        for (int64_t i : shown) texts_[i] = std::to_string(v[i]);
      }
    }
    if (scalar || dt == string) return;
    size_t width = 0;
    for (int64_t i : shown) width = std::max(width, texts_[i].size());
    for (int64_t i : shown) texts_[i].insert(0, width - texts_[i].size(), ' ');
  }

  // Prints dimension `dim` starting at flat element `base`; `indent` is the column of the
  // opening bracket + 1.
  void print_dim(std::string& out, int64_t dim, int64_t base, int64_t indent) {
    const TensorShape& s = t_.shape;
    int64_t n = s[dim], stride = 1;
    for (int64_t d = dim + 1; d < s.rank(); ++d) stride *= s[d];
    out += '[';
    bool last_dim = dim == s.rank() - 1;
    size_t line_start = out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1;
    for (int64_t i = 0; i < n; ++i) {
      bool skip = summarize_ && n > 2 * kEdgeItems && i == kEdgeItems;
      if (i > 0) {
        if (last_dim) {
          std::string next = skip ? "..." : texts_[base + i * stride];
          if (static_cast<int64_t>(out.size() - line_start + 1 + next.size()) > kLineWidth - 1) {
            out += '\n';
            line_start = out.size();
            out += std::string(indent, ' ');
          } else {
            out += ' ';
          }
        } else {
          out += std::string(static_cast<size_t>(std::max<int64_t>(s.rank() - dim - 1, 1)), '\n');
          out += std::string(indent, ' ');
        }
      }
      if (skip) {
        out += "...";
        if (!last_dim) {
          out += std::string(static_cast<size_t>(std::max<int64_t>(s.rank() - dim - 1, 1)), '\n');
          out += std::string(indent, ' ');
        }
        i = n - kEdgeItems;
        if (!last_dim) {
          print_dim(out, dim + 1, base + i * stride, indent + 1);
          continue;
        }
        out += ' ';
      }
      if (last_dim)
        out += texts_[base + i * stride];
      else
        print_dim(out, dim + 1, base + i * stride, indent + 1);
    }
    out += ']';
  }

  const detail::TensorImpl& t_;
  bool summarize_ = false;
  std::vector<std::string> texts_;
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tf.Tensor(<null>)";
  const auto& impl = *t.impl();
  std::string meta =
      "shape=" + impl.shape.to_string() + ", dtype=" + std::string(dtype_name(impl.dtype));
  if (!impl.buffer) return "<tf.Tensor (symbolic) " + meta + ">";
  std::string values = Printer(*detail::to_cpu(t).impl()).values();
  bool multiline = values.find('\n') != std::string::npos;
  return "tf.Tensor(" + std::string(multiline ? "\n" : "") + values + ", " + meta + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }
std::ostream& operator<<(std::ostream& os, const TensorShape& shape) {
  return os << shape.to_string();
}
std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

std::string detail::print_values(const Tensor& t) {
  return Printer(*detail::to_cpu(t).impl()).values();
}

}  // namespace tf
