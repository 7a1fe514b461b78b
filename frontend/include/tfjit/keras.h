// tf::keras: layers, models, optimizers, losses, metrics and callbacks.
#pragma once

#include "tfjit/keras/layer.h"
#include "tfjit/keras/layers.h"
#include "tfjit/keras/losses.h"
#include "tfjit/keras/metrics.h"
#include "tfjit/keras/model.h"
#include "tfjit/keras/optimizers.h"
