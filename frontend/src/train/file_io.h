// Small POSIX file helpers for the file formats: whole-file reads, positioned reads, and writes
// that reach the disk (fsync) before a rename publishes them. Failures raise InvalidArgumentError
// naming the file and the system's reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tf::detail::file_io {

// The size of `path`; throws if it cannot be opened.
uint64_t file_size(const std::string& path);
// The whole file.
std::string read_all(const std::string& path);
// `size` bytes at `offset` into `dst` (the caller has checked the range against file_size).
void read_at(const std::string& path, uint64_t offset, uint64_t size, void* dst);

// An open file descriptor, closed on destruction.
class File {
 public:
  File() = default;
  File(const std::string& path, int flags);
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();
  void write(std::string_view bytes);
  void sync();
  void close();  // throws if closing fails (a late write error)
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// A file written under a temporary name beside `path` and renamed onto it by commit(); removed
// instead if destroyed uncommitted (an exception while writing).
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view bytes) { file_.write(bytes); }
  // Syncs and closes the temporary file (the slow part), so that commit() only renames.
  void finish();
  void commit();

 private:
  std::string path_, temp_;
  File file_;
  bool committed_ = false;
};

// Syncs the directory holding `path`, so a rename in it survives a power loss.
void sync_parent_directory(const std::string& path);
// Creates the parent directories of `path` if needed.
void create_parent_directories(const std::string& path);

}  // namespace tf::detail::file_io
