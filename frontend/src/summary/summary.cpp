// tf::summary (tfjit/summary.h): TensorBoard event files, as TensorFlow 2's summary file writer
// (tensorflow/core/summary/summary_file_writer.cc) and TensorBoard's v2 summary ops write them.
#include "tfjit/summary.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include "frontend/src/placement.h"
#include "frontend/src/train/tfrecord.h"
#include "tensorflow/core/util/event.pb.h"
#include "tfjit/errors.h"
#include "tfjit/ops.h"

namespace tf::summary {
namespace detail {

struct WriterState {
  std::mutex mu;
  std::unique_ptr<tf::detail::TFRecordWriter> file;  // null once closed
  std::string path;
  int max_queue = 10, pending = 0;
  std::chrono::milliseconds flush_every{120000};
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();

  void write_event(const tensorflow::Event& event) {
    std::lock_guard<std::mutex> lock(mu);
    if (!file) throw FailedPreconditionError("tf.summary: the writer of " + path + " is closed");
    file->write(event.SerializeAsString());
    const auto now = std::chrono::steady_clock::now();
    if (++pending >= max_queue || now - last_flush >= flush_every) flush_locked();
  }
  void flush_locked() {
    if (!file) return;
    file->flush();
    pending = 0;
    last_flush = std::chrono::steady_clock::now();
  }
};

}  // namespace detail

namespace {

thread_local std::shared_ptr<detail::WriterState> current_writer;
thread_local std::optional<int64_t> current_step;

double wall_time() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

int64_t resolve_step(const std::string& name, std::optional<int64_t> step) {
  if (step) return *step;
  if (current_step) return *current_step;
  throw InvalidArgumentError("tf.summary: no step for \"" + name +
                             "\": pass one, or set tf::summary::experimental::set_step()");
}

void set_shape(tensorflow::TensorShapeProto* proto, const TensorShape& shape) {
  for (int64_t d : shape) proto->add_dim()->set_size(d);
}

// A summary value of `tensor` (TensorFlow's AsProtoTensorContent: raw bytes, strings listed).
bool write_value(const std::string& tag, const Tensor& tensor, std::optional<int64_t> step,
                 const std::string& plugin, const std::string& description) {
  auto writer = current_writer;
  if (!writer) return false;
  if (!tensor.defined() || tensor.is_symbolic())
    throw InvalidArgumentError("tf.summary: \"" + tag + "\" is not a concrete tensor");
  const int64_t s = resolve_step(tag, step);
  const Tensor t = tf::detail::to_cpu(tensor);
  tensorflow::Event event;
  event.set_wall_time(wall_time());
  event.set_step(s);
  auto* value = event.mutable_summary()->add_value();
  value->set_tag(tag);
  auto* proto = value->mutable_tensor();
  set_shape(proto->mutable_tensor_shape(), t.shape());
  switch (t.dtype()) {
    case float16:
      proto->set_dtype(tensorflow::DT_HALF);
      break;
    case bfloat16:
      proto->set_dtype(tensorflow::DT_BFLOAT16);
      break;
    case float32:
      proto->set_dtype(tensorflow::DT_FLOAT);
      break;
    case float64:
      proto->set_dtype(tensorflow::DT_DOUBLE);
      break;
    case int8:
      proto->set_dtype(tensorflow::DT_INT8);
      break;
    case int16:
      proto->set_dtype(tensorflow::DT_INT16);
      break;
    case int32:
      proto->set_dtype(tensorflow::DT_INT32);
      break;
    case int64:
      proto->set_dtype(tensorflow::DT_INT64);
      break;
    case uint8:
      proto->set_dtype(tensorflow::DT_UINT8);
      break;
    case bool_:
      proto->set_dtype(tensorflow::DT_BOOL);
      break;
    case complex64:
      proto->set_dtype(tensorflow::DT_COMPLEX64);
      break;
    case string:
      proto->set_dtype(tensorflow::DT_STRING);
      break;
  }
  if (t.dtype() == string) {
    const auto* strings = static_cast<const std::string*>(t.data());
    for (int64_t i = 0; i < t.num_elements(); ++i) proto->add_string_val(strings[i]);
  } else {
    proto->set_tensor_content(static_cast<const char*>(t.data()),
                              static_cast<size_t>(t.num_elements()) * dtype_size(t.dtype()));
  }
  auto* metadata = value->mutable_metadata();
  if (!plugin.empty()) metadata->mutable_plugin_data()->set_plugin_name(plugin);
  if (!description.empty()) metadata->set_summary_description(description);
  if (plugin.empty() && description.empty()) value->clear_metadata();
  writer->write_event(event);
  return true;
}

}  // namespace

SummaryWriter::Scope::Scope(std::shared_ptr<detail::WriterState> writer)
    : previous_(std::exchange(current_writer, std::move(writer))) {}
SummaryWriter::Scope::~Scope() { current_writer = std::move(previous_); }

void SummaryWriter::set_as_default() const { current_writer = state_; }

void SummaryWriter::flush() const {
  if (!state_) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->flush_locked();
}

void SummaryWriter::close() const {
  if (!state_) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->file) return;
  state_->file->close();
  state_->file.reset();
}

std::string SummaryWriter::path() const { return state_ ? state_->path : ""; }

SummaryWriter create_file_writer(const std::string& logdir, int max_queue, int flush_millis,
                                 const std::string& filename_suffix) {
  std::error_code ec;
  std::filesystem::create_directories(logdir, ec);
  if (ec)
    throw InvalidArgumentError("create_file_writer: cannot create " + logdir + ": " + ec.message());
  static std::atomic<int> index{0};
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%010lld", static_cast<long long>(wall_time()));
  auto state = std::make_shared<detail::WriterState>();
  state->path = (std::filesystem::path(logdir) /
                 ("events.out.tfevents." + std::string(stamp) + "." + host_name() + "." +
                  std::to_string(::getpid()) + "." + std::to_string(index++) + filename_suffix))
                    .string();
  state->max_queue = std::max(1, max_queue);
  state->flush_every = std::chrono::milliseconds(std::max(0, flush_millis));
  state->file = std::make_unique<tf::detail::TFRecordWriter>(state->path);
  tensorflow::Event first;  // identifies the file's format to readers
  first.set_wall_time(wall_time());
  first.set_file_version("brain.Event:2");
  state->file->write(first.SerializeAsString());
  state->file->flush();
  return SummaryWriter(std::move(state));
}

SummaryWriter create_noop_writer() { return SummaryWriter(); }

bool write(const std::string& tag, const Tensor& tensor, std::optional<int64_t> step,
           const std::string& plugin_name, const std::string& description) {
  return write_value(tag, tensor, step, plugin_name, description);
}

bool scalar(const std::string& name, const Tensor& data, std::optional<int64_t> step,
            const std::string& description) {
  if (!current_writer) return false;
  if (data.defined() && !data.is_symbolic() && data.ndim() != 0)
    throw InvalidArgumentError("tf.summary.scalar: \"" + name + "\" must be a scalar, got shape " +
                               data.shape().to_string());
  return write_value(name, cast(data, float32), step, "scalars", description);
}

bool scalar(const std::string& name, double data, std::optional<int64_t> step,
            const std::string& description) {
  return scalar(name, constant(static_cast<float>(data)), step, description);
}

bool histogram(const std::string& name, const Tensor& data, std::optional<int64_t> step,
               int buckets, const std::string& description) {
  if (!current_writer) return false;
  if (buckets < 0)
    throw InvalidArgumentError("tf.summary.histogram: buckets must be >= 0, got " +
                               std::to_string(buckets));
  if (!data.defined() || data.is_symbolic() || !is_numeric(data.dtype()) ||
      is_complex(data.dtype()))
    throw InvalidArgumentError("tf.summary.histogram: \"" + name +
                               "\" must be a concrete real tensor");
  // TensorBoard's _buckets (tensorboard/plugins/histogram/summary_v2.py), in float64.
  const std::vector<double> x = cast(data, float64).to_vector<double>();
  const auto k = static_cast<size_t>(buckets);
  std::vector<double> out(k * 3, 0.0);  // rows of [left, right, count]
  if (!x.empty() && k > 0) {
    double lo = x[0], hi = x[0];
    for (double v : x) lo = std::min(lo, v), hi = std::max(hi, v);
    if (hi - lo == 0) {  // one value: every bucket [v, v], all counted in the last
      for (size_t i = 0; i < k; ++i) out[3 * i] = out[3 * i + 1] = hi;
      out[3 * k - 1] = static_cast<double>(x.size());
    } else {
      const double width = (hi - lo) / static_cast<double>(k);
      for (double v : x) {
        double b = std::floor((v - lo) / width);
        size_t i = b >= static_cast<double>(k - 1) ? k - 1 : static_cast<size_t>(std::max(b, 0.0));
        out[3 * i + 2] += 1;
      }
      const double step_size = (hi - lo) / static_cast<double>(k);  // tf.linspace(lo, hi, k + 1)
      for (size_t i = 0; i < k; ++i) {
        out[3 * i] = lo + step_size * static_cast<double>(i);
        out[3 * i + 1] = i + 1 == k ? hi : lo + step_size * static_cast<double>(i + 1);
      }
    }
  }
  Tensor t = constant(out, {static_cast<int64_t>(k), 3});
  return write_value(name, t, step, "histograms", description);
}

bool text(const std::string& name, const std::string& data, std::optional<int64_t> step,
          const std::string& description) {
  return write_value(name, constant(data), step, "text", description);
}

void flush() {
  if (auto writer = current_writer) {
    std::lock_guard<std::mutex> lock(writer->mu);
    writer->flush_locked();
  }
}

namespace experimental {
void set_step(std::optional<int64_t> step) { current_step = step; }
std::optional<int64_t> get_step() { return current_step; }
}  // namespace experimental

}  // namespace tf::summary
