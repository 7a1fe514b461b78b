#include "compiler/passes.h"
#include "compiler/pass_dialects.h"

namespace tf::compiler {

#define GEN_PASS_REGISTRATION
#include "compiler/Passes.h.inc"

void register_passes() { registerTfjitPasses(); }

}  // namespace tf::compiler
