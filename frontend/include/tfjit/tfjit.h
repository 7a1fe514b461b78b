// tfjit: TensorFlow 2's programming model in native C++. The one header users include.
#pragma once

#include "tfjit/config.h"
#include "tfjit/control_flow.h"
#include "tfjit/creation.h"
#include "tfjit/device.h"
#include "tfjit/dtype.h"
#include "tfjit/errors.h"
#include "tfjit/function.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/image.h"
#include "tfjit/interop.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"
#include "tfjit/shape.h"
#include "tfjit/tensor.h"
#include "tfjit/variable.h"
