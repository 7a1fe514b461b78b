#include "runtime/print.h"

#include <atomic>

namespace tf::rt {

namespace {
std::atomic<PrintHandler> the_print_handler{nullptr};
}
void set_print_handler(PrintHandler handler) { the_print_handler.store(handler); }
PrintHandler print_handler() { return the_print_handler.load(); }

}  // namespace tf::rt
