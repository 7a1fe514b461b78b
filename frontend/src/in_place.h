// The variables a compiled call writes in place. tf::function aliases each variable its body reads
// and assigns with the result holding its new value (compiler::Alias), so an optimizer's update
// reads and writes each variable once, as TensorFlow's resource ops do, instead of filling a new
// buffer every step.
#pragma once

#include <vector>

#include "tfjit/tensor.h"

namespace tf::detail {

struct Concrete;
class VariableImpl;

class InPlaceUpdates {
 public:
  InPlaceUpdates() = default;
  InPlaceUpdates(const InPlaceUpdates&) = delete;
  InPlaceUpdates& operator=(const InPlaceUpdates&) = delete;
  ~InPlaceUpdates();  // the call failed: the variables keep their values

  // Claims the buffers of `c`'s aliased variables (VariableImpl::begin_update) and puts them in
  // `captured` (read_captures' values, whose references to them go first: a reference held
  // elsewhere means a copy). Claimed in one order for every call, so calls sharing variables
  // never wait on each other in a cycle.
  void begin(const Concrete& c, std::vector<Tensor>& captured);
  // Gives `variable` its new value: ends its update, or assigns it if it was not updated in place.
  void install(VariableImpl& variable, const Tensor& value);

 private:
  std::vector<VariableImpl*> pending_;
};

}  // namespace tf::detail
