#include "compiler/passes.h"

namespace tf::compiler {

#define GEN_PASS_REGISTRATION
#include "compiler/Passes.h.inc"

void register_passes() { registerTfjitPasses(); }

}  // namespace tf::compiler
