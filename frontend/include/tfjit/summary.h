// tf.summary: TensorBoard event files. As in TensorFlow 2:
//
//   auto writer = tf::summary::create_file_writer("logs/run1");
//   {
//     auto scope = writer.as_default();                  // `with writer.as_default():`
//     tf::summary::scalar("loss", loss, step);
//     tf::summary::histogram("weights", w, step);        // 30 buckets, as TensorBoard's
//     tf::summary::text("note", "hello", step);
//   }
//   writer.flush();
//
// Files are named events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2 and hold TFRecords of
// tensorflow.Event protos (the first one "brain.Event:2"); values are tensor summaries tagged
// with TensorBoard's plugin names ("scalars", "histograms", "text"), as TensorFlow 2 writes them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf::summary {

namespace detail {
struct WriterState;
}

class SummaryWriter {
 public:
  // Makes the writer the default of this thread until destroyed; the previous default returns.
  class Scope {
   public:
    explicit Scope(std::shared_ptr<detail::WriterState> writer);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    std::shared_ptr<detail::WriterState> previous_;
  };

  SummaryWriter() = default;  // a writer that writes nothing (tf.summary.create_noop_writer)
  explicit SummaryWriter(std::shared_ptr<detail::WriterState> state) : state_(std::move(state)) {}

  [[nodiscard]] Scope as_default() const { return Scope(state_); }
  // Makes it the thread's default with no scope (writer.set_as_default()).
  void set_as_default() const;
  // Writes buffered events to the file.
  void flush() const;
  // Flushes and closes the file; later summaries to this writer raise FailedPreconditionError.
  void close() const;
  // The event file's path (empty for a no-op writer).
  std::string path() const;

 private:
  std::shared_ptr<detail::WriterState> state_;
};

// A writer of a new event file in `logdir` (created if needed). Events are buffered and flushed
// every `max_queue` events, every `flush_millis` milliseconds (checked when writing), on flush()
// and on close.
SummaryWriter create_file_writer(const std::string& logdir, int max_queue = 10,
                                 int flush_millis = 120000,
                                 const std::string& filename_suffix = ".v2");
SummaryWriter create_noop_writer();

// Each writes one summary to the thread's default writer and returns true, or returns false when
// there is none (as TensorFlow). `step` defaults to experimental::get_step(); with neither set,
// InvalidArgumentError.
bool scalar(const std::string& name, const Tensor& data, std::optional<int64_t> step = {},
            const std::string& description = "");
bool scalar(const std::string& name, double data, std::optional<int64_t> step = {},
            const std::string& description = "");
// TensorBoard's histogram: `buckets` equal-width buckets from min to max as a float64 tensor of
// rows [left edge, right edge, count].
bool histogram(const std::string& name, const Tensor& data, std::optional<int64_t> step = {},
               int buckets = 30, const std::string& description = "");
bool text(const std::string& name, const std::string& data, std::optional<int64_t> step = {},
          const std::string& description = "");
// tf.summary.write: any tensor, with the plugin name TensorBoard should show it with.
bool write(const std::string& tag, const Tensor& tensor, std::optional<int64_t> step = {},
           const std::string& plugin_name = "", const std::string& description = "");
// Flushes the default writer, if any.
void flush();

namespace experimental {
void set_step(std::optional<int64_t> step);
std::optional<int64_t> get_step();
}  // namespace experimental

}  // namespace tf::summary
TFJIT_API_END
