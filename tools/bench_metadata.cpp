// The metadata of a tfjit-bench run: date, machine, threads, load, command line.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "runtime/parallel.h"
#include "tools/bench.h"

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;  // control characters: not in JSON
  }
  return out;
}

std::string loads(const std::array<double, 3>& l, const char* separator) {
  std::ostringstream s;
  s.precision(3);
  s << l[0] << separator << l[1] << separator << l[2];
  return s.str();
}

}  // namespace

std::array<double, 3> load_average() {
  std::array<double, 3> l{-1, -1, -1};
  if (getloadavg(l.data(), 3) != 3) l = {-1, -1, -1};
  return l;
}

Metadata collect_metadata(int argc, char** argv) {
  Metadata m;
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  m.date = date;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  m.host = host;
  m.cpu = cpu_model();
  cpu_set_t set;
  m.cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
  m.threads = tf::rt::parallel_threads();  // the setting, or what the default resolved to
  for (int i = 0; i < argc; ++i) m.command += (i ? " " : "") + std::string(argv[i]);
  m.load_before = load_average();
  return m;
}

std::string metadata_json(const Metadata& m, const std::array<double, 3>& load_after) {
  std::ostringstream s;
  s << "{\"date\": \"" << m.date << "\", \"host\": \"" << escape(m.host) << "\", \"cpu\": \""
    << escape(m.cpu) << "\", \"cpus\": " << m.cpus << ", \"intra_op_threads\": " << m.threads
    << ", \"command\": \"" << escape(m.command) << "\", \"load_before\": ["
    << loads(m.load_before, ", ") << "], \"load_after\": [" << loads(load_after, ", ") << "]}";
  return s.str();
}

std::string metadata_text(const Metadata& m, const std::array<double, 3>& load_after) {
  std::ostringstream s;
  s << "# " << m.date << ", " << m.host << ": " << m.cpu << ", " << m.cpus
    << " CPUs, intra-op threads " << m.threads << "; load average " << loads(m.load_before, " ")
    << " before, " << loads(load_after, " ") << " after\n# " << m.command;
  return s.str();
}
