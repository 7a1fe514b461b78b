#include "frontend/src/in_place.h"

#include <algorithm>
#include <utility>

#include "frontend/src/concrete.h"
#include "frontend/src/tape.h"

namespace tf::detail {

void InPlaceUpdates::begin(const Concrete& c, std::vector<Tensor>& captured) {
  const size_t num_args = c.graph->arguments().size() - c.captures.size();
  std::vector<std::pair<VariableImpl*, size_t>> claims;  // variable, capture
  for (const compiler::Alias& alias : c.graph->aliases()) {
    const size_t k = static_cast<size_t>(alias.argument) - num_args;
    claims.emplace_back(c.captures.at(k).variable.get(), k);
  }
  std::ranges::sort(claims);
  for (auto [variable, k] : claims) {
    captured[k] = Tensor();
    captured[k] = variable->begin_update();
    pending_.push_back(variable);
  }
}

void InPlaceUpdates::install(VariableImpl& variable, const Tensor& value) {
  auto it = std::ranges::find(pending_, &variable);
  if (it == pending_.end()) return variable.set_value(value);
  pending_.erase(it);
  variable.end_update(&value);
}

InPlaceUpdates::~InPlaceUpdates() {
  for (VariableImpl* variable : pending_) variable->end_update(nullptr);
}

}  // namespace tf::detail
