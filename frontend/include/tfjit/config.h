// Process-wide settings, as tf.config.
#pragma once

namespace tf::config {

// Runs every tf::function body eagerly instead of tracing and compiling it (for debugging, as
// tf.config.run_functions_eagerly).
void run_functions_eagerly(bool eagerly);
bool functions_run_eagerly();

}  // namespace tf::config
