// The float32 convolution kernel, for the library call compiled code makes.
#pragma once

#include "runtime/primitives/conv.h"

namespace tf::cpu {

void conv_float32(const void* a, const void* b, void* out, const rt::ConvPlan& plan);

}  // namespace tf::cpu
