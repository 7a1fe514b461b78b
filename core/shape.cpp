#include "tfjit/shape.h"

#include <string>

namespace tf {

std::string TensorShape::to_string() const {
  std::string s = "(";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i] == kUnknownDim ? "None" : std::to_string(dims_[i]);
  }
  return s + (dims_.size() == 1 ? ",)" : ")");
}

}  // namespace tf
