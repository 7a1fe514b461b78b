#include "frontend/src/train/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "tfjit/errors.h"

namespace tf::detail::file_io {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw InvalidArgumentError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

File::File(const std::string& path, int flags) : path_(path) {
  fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open", path);
}
File::File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}
File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}
File::~File() {
  if (fd_ >= 0) ::close(fd_);
}
void File::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing", path_);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}
void File::sync() {
  if (::fsync(fd_) != 0) fail("syncing", path_);
}
void File::close() {
  int fd = fd_;
  fd_ = -1;
  if (fd >= 0 && ::close(fd) != 0) fail("closing", path_);
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path);
  int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) fail("cannot stat", path);
  if (!S_ISREG(st.st_mode)) throw InvalidArgumentError(path + " is not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

void read_at(const std::string& path, uint64_t offset, uint64_t size, void* dst) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path);
  auto* out = static_cast<char*>(dst);
  while (size > 0) {
    ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      if (n == 0) throw InvalidArgumentError(path + ": unexpected end of file");
      errno = saved;
      fail("reading", path);
    }
    out += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<uint64_t>(n);
  }
  ::close(fd);
}

std::string read_all(const std::string& path) {
  const uint64_t size = file_size(path);
  if (size > (uint64_t{1} << 40)) throw InvalidArgumentError(path + ": file too large to read");
  std::string out(size, '\0');
  if (size > 0) read_at(path, 0, size, out.data());
  return out;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  temp_ = path_ + ".tempstate" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
          "-" + std::to_string(rd());
  file_ = File(temp_, O_WRONLY | O_CREAT | O_TRUNC);
}
AtomicFile::~AtomicFile() {
  if (!committed_) {
    file_ = File();
    ::unlink(temp_.c_str());
  }
}
void AtomicFile::finish() {
  file_.sync();
  file_.close();
}
void AtomicFile::commit() {
  if (file_.is_open()) finish();
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot rename " + temp_ + " to", path_);
  committed_ = true;
}

void sync_parent_directory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems cannot open directories
  ::fsync(fd);
  ::close(fd);
}

void create_parent_directories(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    throw InvalidArgumentError("cannot create directory " + parent.string() + ": " + ec.message());
}

}  // namespace tf::detail::file_io
