#include "runtime/collectives.h"

#include <sched.h>
#include <algorithm>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "tfjit/errors.h"

namespace tf::rt::collectives {

namespace {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kAllReduce:
      return "all_reduce";
    case Kind::kBroadcast:
      return "broadcast";
    case Kind::kAllGather:
      return "all_gather";
    case Kind::kReduceScatter:
      return "reduce_scatter";
    case Kind::kBarrier:
      return "barrier";
    case Kind::kAbort:
      return "abort";
  }
  return "?";
}

bool takes_op(Kind k) { return k == Kind::kAllReduce || k == Kind::kReduceScatter; }

// Descriptors agree when everything but the note is equal.
bool same_call(const Descriptor& a, const Descriptor& b) {
  return a.sequence == b.sequence && a.count == b.count && a.root == b.root && a.kind == b.kind &&
         a.dtype == b.dtype && a.op == b.op;
}

template <class T>
void combine_as(T* acc, const T* x, int64_t n, ReduceOp op) {
  if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
    for (int64_t i = 0; i < n; ++i) {
      const float a = static_cast<float>(acc[i]), b = static_cast<float>(x[i]);
      acc[i] = T(op == ReduceOp::kMax   ? std::max(a, b)
                 : op == ReduceOp::kMin ? std::min(a, b)
                                        : a + b);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    for (int64_t i = 0; i < n; ++i) acc[i] = op == ReduceOp::kMin ? acc[i] && x[i] : acc[i] || x[i];
  } else if constexpr (std::is_same_v<T, std::complex<float>>) {
    for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
  } else {
    // Unsigned arithmetic so that integer sums wrap as the kernels' do.
    using U = std::make_unsigned_t<std::conditional_t<std::is_integral_v<T>, T, int>>;
    for (int64_t i = 0; i < n; ++i) {
      if (op == ReduceOp::kMax)
        acc[i] = std::max(acc[i], x[i]);
      else if (op == ReduceOp::kMin)
        acc[i] = std::min(acc[i], x[i]);
      else if constexpr (std::is_integral_v<T>)
        acc[i] = static_cast<T>(static_cast<U>(acc[i]) + static_cast<U>(x[i]));
      else
        acc[i] += x[i];
    }
  }
}

template <class T>
void divide_as(T* data, int64_t n, int64_t by) {
  if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
    for (int64_t i = 0; i < n; ++i)
      data[i] = T(static_cast<float>(data[i]) / static_cast<float>(by));
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
  } else if constexpr (std::is_same_v<T, std::complex<float>>) {
    for (int64_t i = 0; i < n; ++i) data[i] /= static_cast<float>(by);
  } else {
    for (int64_t i = 0; i < n; ++i) data[i] = static_cast<T>(data[i] / static_cast<T>(by));
  }
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, Factory, std::less<>>& backends() {
  static std::map<std::string, Factory, std::less<>> b;
  return b;
}
std::map<int64_t, std::shared_ptr<Communicator>>& groups() {
  static std::map<int64_t, std::shared_ptr<Communicator>> g;
  return g;
}

std::string seconds(std::chrono::milliseconds ms) {
  std::string s = std::to_string(static_cast<double>(ms.count()) / 1000.0);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s + " s";
}

}  // namespace

std::string_view reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return "sum";
    case ReduceOp::kMean:
      return "mean";
    case ReduceOp::kMax:
      return "max";
    case ReduceOp::kMin:
      return "min";
  }
  return "?";
}

Options options_from_environment() {
  Options o;
  if (const char* t = std::getenv("TFJIT_COLLECTIVE_TIMEOUT")) {
    char* end = nullptr;
    const double s = std::strtod(t, &end);
    if (end == t || *end != '\0' || !(s >= 0.001) || s > 1e7)
      throw InvalidArgumentError(std::string("TFJIT_COLLECTIVE_TIMEOUT='") + t +
                                 "': expected a number of seconds from 0.001 to 1e7");
    o.timeout = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  }
  if (const char* d = std::getenv("TFJIT_DETERMINISTIC_COLLECTIVES"))
    o.deterministic = std::string_view(d) == "1";
  return o;
}

std::string describe(const Descriptor& d) {
  // Appended piece by piece (GCC 12 warns falsely about chains of string temporaries here).
  std::string s = "#";
  s += std::to_string(d.sequence);
  s += ' ';
  s += kind_name(d.kind);
  if (d.kind == Kind::kAbort) {
    s += " (";
    s.append(d.note, strnlen(d.note, sizeof d.note));
    return s += ')';
  }
  if (d.kind == Kind::kBarrier) return s += "()";
  s += '(';
  s += dtype_name(static_cast<DType>(d.dtype));
  s += " x ";
  s += std::to_string(d.count);
  if (takes_op(d.kind)) {
    s += ", ";
    s += reduce_op_name(static_cast<ReduceOp>(d.op));
  }
  if (d.kind == Kind::kBroadcast) {
    s += ", root ";
    s += std::to_string(d.root);
  }
  return s += ')';
}

Communicator::Communicator(int rank, int size, std::string backend, Options options)
    : rank_(rank), size_(size), backend_(std::move(backend)), options_(options) {}

std::string Communicator::broken() const {
  std::lock_guard lock(mu_);
  return broken_;
}

void Communicator::fail(const std::string& what, bool aborted) {
  broken_ = what;
  if (aborted) throw AbortedError(what);
  throw UnavailableError(what);
}

void Communicator::agree(Kind kind, int64_t count, DType dtype, ReduceOp op, int root,
                         Clock::time_point deadline) {
  if (!broken_.empty())
    throw FailedPreconditionError("collective " + std::string(kind_name(kind)) + " on rank " +
                                  std::to_string(rank_) + ": the " + backend_ +
                                  " communicator is unusable after an earlier failure: " + broken_);
  Descriptor mine;
  mine.sequence = sequence_++;
  mine.kind = kind;
  mine.count = count;
  mine.dtype = static_cast<uint8_t>(dtype);
  mine.op = takes_op(kind) ? static_cast<uint8_t>(op) : 0;
  mine.root = root;
  if (size_ == 1) return;
  std::vector<Descriptor> peers(static_cast<size_t>(size_));
  try {
    exchange_descriptors(mine, peers.data(), deadline);
  } catch (const UnavailableError& e) {
    fail("rank " + std::to_string(rank_) + ", collective " + describe(mine) + " on " + backend_ +
             ": " + e.what() + " (timeout " + seconds(options_.timeout) +
             "; TFJIT_COLLECTIVE_TIMEOUT sets it)",
         false);
  }
  for (int r = 0; r < size_; ++r) {
    const Descriptor& p = peers[static_cast<size_t>(r)];
    if (p.kind == Kind::kAbort)
      fail("rank " + std::to_string(rank_) + ", collective " + describe(mine) + ": rank " +
               std::to_string(r) +
               " failed: " + std::string(p.note, strnlen(p.note, sizeof p.note)),
           true);
  }
  for (int r = 0; r < size_; ++r) {
    const Descriptor& p = peers[static_cast<size_t>(r)];
    if (!same_call(p, mine)) {
      const std::string what = "collectives differ across ranks: rank " + std::to_string(rank_) +
                               " called " + describe(mine) + ", rank " + std::to_string(r) +
                               " called " + describe(p);
      broken_ = what;
      throw InvalidArgumentError(what);
    }
  }
}

char* Communicator::scratch(size_t bytes) {
  if (!scratch_ || scratch_bytes_ < bytes) {
    scratch_.reset();  // before the new one: never both at once
    scratch_ = std::make_shared_for_overwrite<char[]>(bytes);
    scratch_bytes_ = bytes;
  }
  return scratch_.get();
}

template <class F>
void Communicator::guarded(Kind kind, int64_t count, DType dtype, ReduceOp op, int root, F transfer,
                           std::optional<std::chrono::milliseconds> timeout) {
  std::lock_guard lock(mu_);
  if (count < 0)
    throw InvalidArgumentError("collective " + std::string(kind_name(kind)) +
                               ": negative element count " + std::to_string(count));
  if (dtype == string)
    throw InvalidArgumentError("collective " + std::string(kind_name(kind)) +
                               ": string tensors cannot be exchanged");
  if (takes_op(kind) && (dtype == complex64 || dtype == bool_) && op == ReduceOp::kMean)
    throw InvalidArgumentError("collective " + std::string(kind_name(kind)) + ": " +
                               std::string(reduce_op_name(op)) + " of " +
                               std::string(dtype_name(dtype)) + " is not defined");
  if (takes_op(kind) && dtype == complex64 && op != ReduceOp::kSum)
    throw InvalidArgumentError("collective " + std::string(kind_name(kind)) + ": " +
                               std::string(reduce_op_name(op)) + " of complex64 is not defined");
  const auto wait = timeout.value_or(options_.timeout);
  agree(kind, count, dtype, op, root, Clock::now() + wait);
  // The data gets its own deadline: a rank that arrived late has not used up the transfer's.
  try {
    transfer(Clock::now() + wait);
  } catch (const UnavailableError& e) {
    if (scratch_) retain_after_failure(std::exchange(scratch_, nullptr));
    fail("rank " + std::to_string(rank_) + ", collective #" + std::to_string(sequence_ - 1) + " " +
             std::string(kind_name(kind)) + " on " + backend_ + ": " + e.what(),
         false);
  }
}

void Communicator::all_reduce(const void* in, void* out, int64_t count, DType dtype, ReduceOp op) {
  guarded(Kind::kAllReduce, count, dtype, op, 0, [&](Clock::time_point deadline) {
    const size_t bytes = static_cast<size_t>(count) * dtype_size(dtype);
    const ReduceOp wire_op = op == ReduceOp::kMean ? ReduceOp::kSum : op;
    if (size_ == 1 || count == 0) {
      if (out != in && bytes) std::memmove(out, in, bytes);
    } else if (options_.deterministic ||
               !native_all_reduce(in, out, count, dtype, wire_op, deadline)) {
      char* all = scratch(bytes * static_cast<size_t>(size_));
      all_gather_bytes(in, all, bytes, deadline);
      std::memcpy(out, all, bytes);
      for (int r = 1; r < size_; ++r)
        combine(out, all + bytes * static_cast<size_t>(r), count, dtype, wire_op);
    }
    if (op == ReduceOp::kMean) divide(out, count, dtype, size_);
  });
}

void Communicator::broadcast(void* data, int64_t count, DType dtype, int root) {
  if (root < 0 || root >= size_)
    throw InvalidArgumentError("collective broadcast: root " + std::to_string(root) +
                               " is not a rank of a group of " + std::to_string(size_));
  guarded(Kind::kBroadcast, count, dtype, ReduceOp::kSum, root, [&](Clock::time_point deadline) {
    if (size_ > 1 && count > 0)
      broadcast_bytes(data, static_cast<size_t>(count) * dtype_size(dtype), root, deadline);
  });
}

void Communicator::all_gather(const void* in, void* out, int64_t count, DType dtype) {
  guarded(Kind::kAllGather, count, dtype, ReduceOp::kSum, 0, [&](Clock::time_point deadline) {
    const size_t bytes = static_cast<size_t>(count) * dtype_size(dtype);
    if (size_ == 1) {
      if (bytes && out != in) std::memmove(out, in, bytes);
    } else if (bytes) {
      all_gather_bytes(in, out, bytes, deadline);
    }
  });
}

void Communicator::reduce_scatter(const void* in, void* out, int64_t count, DType dtype,
                                  ReduceOp op) {
  guarded(Kind::kReduceScatter, count, dtype, op, 0, [&](Clock::time_point deadline) {
    const size_t bytes = static_cast<size_t>(count) * dtype_size(dtype);
    const ReduceOp wire_op = op == ReduceOp::kMean ? ReduceOp::kSum : op;
    if (size_ == 1 || count == 0) {
      if (bytes && out != in) std::memmove(out, in, bytes);
    } else if (options_.deterministic ||
               !native_reduce_scatter(in, out, count, dtype, wire_op, deadline)) {
      // Every rank's whole input, then this rank's block reduced in rank order.
      const size_t all_bytes = bytes * static_cast<size_t>(size_);
      char* all = scratch(all_bytes * static_cast<size_t>(size_));
      all_gather_bytes(in, all, all_bytes, deadline);
      const size_t block = bytes * static_cast<size_t>(rank_);
      std::memcpy(out, all + block, bytes);
      for (int r = 1; r < size_; ++r)
        combine(out, all + all_bytes * static_cast<size_t>(r) + block, count, dtype, wire_op);
    }
    if (op == ReduceOp::kMean) divide(out, count, dtype, size_);
  });
}

void Communicator::barrier(std::optional<std::chrono::milliseconds> timeout) {
  guarded(
      Kind::kBarrier, 0, float32, ReduceOp::kSum, 0, [](Clock::time_point) {}, timeout);
}

void Communicator::abort(const std::string& reason) noexcept {
  try {
    std::lock_guard lock(mu_);
    if (!broken_.empty() || size_ == 1) return;
    broken_ = "this rank aborted: " + reason;
    Descriptor mine;
    mine.sequence = sequence_++;
    mine.kind = Kind::kAbort;
    const std::string note = "rank " + std::to_string(rank_) + ": " + reason;
    std::memcpy(mine.note, note.data(), std::min(note.size(), sizeof mine.note - 1));
    std::vector<Descriptor> peers(static_cast<size_t>(size_));
    exchange_descriptors(mine, peers.data(), Clock::now() + options_.timeout);
  } catch (...) {
    // The peers then learn of the failure from their own timeout.
  }
}

void combine(void* acc, const void* x, int64_t count, DType dtype, ReduceOp op) {
  switch (dtype) {
#define TFJIT_X(e, name, T)                                                  \
  case DType::e:                                                             \
    if constexpr (!std::is_same_v<T, std::string>)                           \
      combine_as(static_cast<T*>(acc), static_cast<const T*>(x), count, op); \
    break;
    TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
  }
}

void divide(void* data, int64_t count, DType dtype, int64_t n) {
  switch (dtype) {
#define TFJIT_X(e, name, T)                     \
  case DType::e:                                \
    divide_as(static_cast<T*>(data), count, n); \
    break;
    TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
  }
}

void retain_after_failure(std::shared_ptr<const void> buffer) {
  static std::mutex mu;
  static auto* retained = std::make_unique<std::vector<std::shared_ptr<const void>>>().release();
  std::lock_guard lock(mu);
  retained->push_back(std::move(buffer));  // never freed: the library may write it at any time
}

bool started_by_mpi_launcher() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(variable)) return true;
  return false;
}

void pause_between_polls(std::chrono::steady_clock::time_point since) {
  if (std::chrono::steady_clock::now() - since < std::chrono::milliseconds(10))
    sched_yield();
  else
    std::this_thread::sleep_for(std::chrono::microseconds(20));
}

bool register_backend(std::string_view name, Factory factory) {
  std::lock_guard lock(registry_mutex());
  backends()[std::string(name)] = factory;
  return true;
}

bool has_backend(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  return backends().count(name) > 0;
}

std::unique_ptr<Communicator> create(std::string_view backend, const Options& options) {
  Factory f = nullptr;
  {
    std::lock_guard lock(registry_mutex());
    auto it = backends().find(backend);
    if (it == backends().end())
      throw UnavailableError("collectives: no backend named '" + std::string(backend) +
                             "' in this build");
    f = it->second;
  }
  return f(options);
}

int64_t register_group(std::shared_ptr<Communicator> communicator) {
  std::lock_guard lock(registry_mutex());
  static int64_t next = 1;
  groups()[next] = std::move(communicator);
  return next++;
}

void unregister_group(int64_t id) {
  std::lock_guard lock(registry_mutex());
  groups().erase(id);
}

std::shared_ptr<Communicator> group(int64_t id) {
  std::lock_guard lock(registry_mutex());
  auto it = groups().find(id);
  return it == groups().end() ? nullptr : it->second;
}

}  // namespace tf::rt::collectives
