#include "compiler/disk_cache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "compiler/codegen.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/SHA256.h"

namespace tf::compiler::disk_cache {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "TFJIT-OBJECT 2\n";
constexpr std::string_view kSuffix = ".tfjit";

struct State {
  std::mutex mutex;
  bool enabled = true;
  std::string dir;
  int64_t max_bytes = int64_t{512} << 20;
  bool warned = false;
  std::atomic<int64_t> hits{0}, misses{0}, writes{0}, corrupt{0};

  State() {
    const char* off = std::getenv("TFJIT_DISK_CACHE");
    if (off && (std::string_view(off) == "0" || std::string_view(off) == "off" ||
                std::string_view(off) == "false"))
      enabled = false;
    if (const char* d = std::getenv("TFJIT_CACHE_DIR"); d && *d) {
      dir = d;
    } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
      dir = std::string(x) + "/tfjit";
    } else if (const char* h = std::getenv("HOME"); h && *h) {
      dir = std::string(h) + "/.cache/tfjit";
    } else {
      enabled = false;
    }
  }
};

State& state() {
  static State& s = *std::make_unique<State>().release();  // leaked, like the compile cache
  return s;
}

std::string sha256_hex(std::string_view data) {
  llvm::SHA256 h;
  h.update(llvm::StringRef(data.data(), data.size()));
  auto bytes = h.final();
  return llvm::toHex(llvm::ArrayRef<uint8_t>(bytes.data(), bytes.size()), /*LowerCase=*/true);
}

// What built the machine code: versions, plus the size and time of the tfjit library itself,
// so a rebuilt compiler never reuses an older compiler's output.
const std::string& compiler_identity() {
  static const std::string id = [] {
    std::string s = "tfjit " TFJIT_VERSION " llvm " LLVM_VERSION_STRING;
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&compiler_identity), &info) && info.dli_fname) {
      std::error_code ec;
      auto size = fs::file_size(info.dli_fname, ec);
      auto time = fs::last_write_time(info.dli_fname, ec);
      if (!ec)
        s += " lib " + std::to_string(size) + " " + std::to_string(time.time_since_epoch().count());
    }
    return s;
  }();
  return id;
}

// The checksum covers the entry's key with its object, so an entry renamed under another key
// (by hand, or a bug) is refused instead of running the wrong code.
std::string checksum(const std::string& digest, std::string_view object) {
  std::string material = digest;
  material += '\n';
  material += object;
  return sha256_hex(material);
}

// The whole file at `path` if it is a regular file of at most `max_bytes`; nullopt if absent.
// Opened without blocking and checked before reading: a FIFO under an entry's name would hang
// every process, and a huge file would be read whole into memory. `refused` says the file
// exists but is not an entry.
std::optional<std::string> read_regular_file(const std::string& path, int64_t max_bytes,
                                             bool& refused) {
  refused = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > max_bytes) {
    refused = true;
    return std::nullopt;
  }
  std::string file(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < file.size()) {
    ssize_t n = ::read(fd, file.data() + done, file.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  file.resize(done);  // a file truncated meanwhile fails the size check below
  return file;
}

std::string path_of(const std::string& dir, const std::string& digest) {
  return dir + "/" + digest + std::string(kSuffix);
}

void warn_once(const std::string& what) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.enabled = false;
  if (s.warned) return;
  s.warned = true;
  std::fprintf(stderr, "tfjit: WARNING: disk cache switched off: %s\n", what.c_str());
}

// Drops the least recently used entries (by modification time, refreshed on each hit) until
// the cache holds at most 3/4 of its limit.
void trim(const std::string& dir, int64_t max_bytes) {
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  int64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != kSuffix) continue;
    total += static_cast<int64_t>(e.file_size(ec));
    entries.emplace_back(e.last_write_time(ec), e.path());
  }
  if (total <= max_bytes) return;
  std::sort(entries.begin(), entries.end());
  for (const auto& [time, path] : entries) {
    if (total <= max_bytes * 3 / 4) break;
    total -= static_cast<int64_t>(fs::file_size(path, ec));
    fs::remove(path, ec);
  }
}

}  // namespace

std::string digest(std::string_view key) {
  std::string material = compiler_identity();
  material += '\n';
  material += host_target_id();
  material += '\n';
  material += key;
  return sha256_hex(material);
}

std::optional<std::string> read(const std::string& digest) {
  State& s = state();
  std::string dir;
  int64_t max_bytes;
  {
    std::lock_guard lock(s.mutex);
    if (!s.enabled) return std::nullopt;
    dir = s.dir;
    max_bytes = s.max_bytes;
  }
  const std::string path = path_of(dir, digest);
  bool refused = false;
  std::optional<std::string> read_file = read_regular_file(path, max_bytes, refused);
  if (!read_file && !refused) {
    ++s.misses;
    return std::nullopt;
  }
  const std::string file = read_file.value_or(std::string());
  // Header: magic, "key <digest>", "bytes <n>", "sha256 <hex>", then the object.
  auto valid = [&](size_t& start) {
    if (file.compare(0, kMagic.size(), kMagic) != 0) return false;
    std::istringstream header(file.substr(kMagic.size(), 256));
    std::string key_word, key, bytes_word, sum_word, sum;
    size_t bytes = 0;
    header >> key_word >> key >> bytes_word >> bytes >> sum_word >> sum;
    if (!header || key != digest) return false;
    start = kMagic.size() + static_cast<size_t>(header.tellg()) + 1;
    return file.size() == start + bytes &&
           checksum(digest, std::string_view(file).substr(start)) == sum;
  };
  size_t start = 0;
  if (!valid(start)) {
    ++s.corrupt;
    ++s.misses;
    std::error_code ec;
    fs::remove(path, ec);
    return std::nullopt;
  }
  std::error_code ec;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // least recently used order
  ++s.hits;
  return file.substr(start);
}

void write(const std::string& digest, std::string_view object) {
  State& s = state();
  std::string dir;
  int64_t max_bytes;
  {
    std::lock_guard lock(s.mutex);
    if (!s.enabled) return;
    dir = s.dir;
    max_bytes = s.max_bytes;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  static std::atomic<uint64_t> counter{0};
  const std::string temp =
      dir + "/." + digest + "." + std::to_string(getpid()) + "." +
      std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "." +
      std::to_string(counter++) + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary);
    out << kMagic << "key " << digest << "\nbytes " << object.size() << "\nsha256 "
        << checksum(digest, object) << "\n";
    out.write(object.data(), static_cast<std::streamsize>(object.size()));
    if (!out) {
      fs::remove(temp, ec);
      warn_once("cannot write to " + dir);
      return;
    }
  }
  fs::rename(temp, path_of(dir, digest), ec);  // atomic: readers see all of it or nothing
  if (ec) {
    fs::remove(temp, ec);
    warn_once("cannot write to " + dir);
    return;
  }
  ++s.writes;
  trim(dir, max_bytes);
}

Stats stats() {
  State& s = state();
  return {s.hits.load(), s.misses.load(), s.writes.load(), s.corrupt.load()};
}

void set_directory(std::string dir) {
  std::lock_guard lock(state().mutex);
  state().dir = std::move(dir);
}
std::string directory() {
  std::lock_guard lock(state().mutex);
  return state().dir;
}
void set_enabled(bool enabled) {
  std::lock_guard lock(state().mutex);
  state().enabled = enabled;
}
bool enabled() {
  std::lock_guard lock(state().mutex);
  return state().enabled;
}
void set_max_bytes(int64_t bytes) {
  std::lock_guard lock(state().mutex);
  state().max_bytes = bytes;
}

}  // namespace tf::compiler::disk_cache
