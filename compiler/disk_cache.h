// The persistent cache of machine code (compiler/disk_cache.cpp). Entries are keyed by a SHA-256
// digest of the graph, the compile options, the compiler's identity and the host CPU, so a
// change of any of them misses. Entries are written to a temporary file and renamed into place,
// so concurrent processes never read half-written ones; a truncated or corrupt entry is detected
// (size and checksum), removed and recompiled.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tf::compiler::disk_cache {

// The hex SHA-256 of `key` together with the compiler identity and the host target.
std::string digest(std::string_view key);
// The object stored under `digest`, or nullopt (absent, disabled or corrupt).
std::optional<std::string> read(const std::string& digest);
// Stores `object`; a failure to write only warns (once), since the cache is an optimisation.
void write(const std::string& digest, std::string_view object);

struct Stats {
  int64_t hits = 0, misses = 0, writes = 0, corrupt = 0;
};
Stats stats();

// Directory: TFJIT_CACHE_DIR, else $XDG_CACHE_HOME/tfjit, else ~/.cache/tfjit. Disabled when
// TFJIT_DISK_CACHE is 0, off or false. Both can be changed at run time.
void set_directory(std::string dir);
std::string directory();
void set_enabled(bool enabled);
bool enabled();
// The cache keeps at most this many bytes; the least recently used entries go first.
void set_max_bytes(int64_t bytes);

}  // namespace tf::compiler::disk_cache
