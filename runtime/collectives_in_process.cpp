// The in-process backend: the ranks are threads of this process (one per local device), and a
// collective is a rendezvous where each reads the others' buffers in place.
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/collectives.h"
#include "tfjit/errors.h"

namespace tf::rt::collectives {

namespace {

// Where the group's threads meet. A round has two barriers: after the first every input is
// published, after the second every rank has read what it needs, so inputs stay valid between.
// Only the first waits for the others to arrive, with the deadline: past the first barrier every
// rank reaches the second after its copies, so that wait needs no deadline (and a rank timing out
// there could free an input another rank is still reading). A timeout poisons the rendezvous:
// every rank waiting or arriving later raises at once.
class Rendezvous {
 public:
  explicit Rendezvous(int n) : inputs_(static_cast<size_t>(n)), arrivals_(static_cast<size_t>(n)) {}

  template <class Consume>
  void round(int rank, const void* input, std::chrono::steady_clock::time_point deadline,
             Consume consume) {
    {
      std::unique_lock lock(mu_);
      inputs_[static_cast<size_t>(rank)] = input;
      arrive(lock, rank, deadline);
    }
    consume(inputs_);
    std::unique_lock lock(mu_);
    arrive(lock, rank, std::nullopt);
  }

 private:
  void arrive(std::unique_lock<std::mutex>& lock, int rank,
              std::optional<std::chrono::steady_clock::time_point> deadline) {
    if (!poison_.empty()) throw UnavailableError(poison_);
    const uint64_t barrier = barrier_;
    arrivals_[static_cast<size_t>(rank)] = barrier + 1;
    if (++arrived_ == static_cast<int>(inputs_.size())) {
      arrived_ = 0;
      ++barrier_;
      cv_.notify_all();
      return;
    }
    auto passed = [&] { return barrier_ != barrier || !poison_.empty(); };
    if (!deadline) {
      cv_.wait(lock, passed);
    } else if (!cv_.wait_until(lock, *deadline, passed)) {
      std::string missing;
      for (size_t r = 0; r < arrivals_.size(); ++r)
        if (arrivals_[r] <= barrier) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      poison_ = "no answer from rank(s) " + missing;
      cv_.notify_all();
      throw UnavailableError(poison_);
    }
    if (barrier_ == barrier) throw UnavailableError(poison_);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<const void*> inputs_;
  std::vector<uint64_t> arrivals_;  // the barrier each rank last reached, plus one
  int arrived_ = 0;
  uint64_t barrier_ = 0;
  std::string poison_;  // why a rank gave up waiting: every later wait raises it
};

class InProcessCommunicator final : public Communicator {
 public:
  InProcessCommunicator(int rank, int size, std::shared_ptr<Rendezvous> rendezvous,
                        const Options& options)
      : Communicator(rank, size, "in-process", options), rendezvous_(std::move(rendezvous)) {}

 protected:
  void exchange_descriptors(const Descriptor& mine, Descriptor* peers,
                            Clock::time_point deadline) override {
    rendezvous_->round(rank(), &mine, deadline, [&](const std::vector<const void*>& in) {
      for (size_t r = 0; r < in.size(); ++r) peers[r] = *static_cast<const Descriptor*>(in[r]);
    });
  }
  void all_gather_bytes(const void* in, void* out, size_t bytes,
                        Clock::time_point deadline) override {
    rendezvous_->round(rank(), in, deadline, [&](const std::vector<const void*>& all) {
      for (size_t r = 0; r < all.size(); ++r)
        std::memcpy(static_cast<char*>(out) + r * bytes, all[r], bytes);
    });
  }
  void broadcast_bytes(void* data, size_t bytes, int root, Clock::time_point deadline) override {
    rendezvous_->round(rank(), data, deadline, [&](const std::vector<const void*>& all) {
      if (rank() != root) std::memcpy(data, all[static_cast<size_t>(root)], bytes);
    });
  }

 private:
  std::shared_ptr<Rendezvous> rendezvous_;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> create_in_process_group(int n, const Options& options) {
  if (n < 1)
    throw InvalidArgumentError("in-process collectives: a group needs at least one rank, got " +
                               std::to_string(n));
  auto rendezvous = std::make_shared<Rendezvous>(n);
  std::vector<std::unique_ptr<Communicator>> group;
  for (int r = 0; r < n; ++r)
    group.push_back(std::make_unique<InProcessCommunicator>(r, n, rendezvous, options));
  return group;
}

}  // namespace tf::rt::collectives
