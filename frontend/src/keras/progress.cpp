#include "frontend/src/keras/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace tf::keras::detail {

namespace {
bool stdout_is_terminal() { return isatty(fileno(stdout)) != 0; }

std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(v) > 1e-3 || v == 0 ? "%.4f" : "%.4e", v);
  return buf;
}

std::string format_duration(double seconds) {
  char buf[32];
  if (seconds >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(seconds / 3600), int(seconds / 60) % 60,
                  int(seconds) % 60);
  else if (seconds >= 60)
    std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds / 60), int(seconds) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ds", int(seconds));
  return buf;
}

std::string format_per_step(double seconds) {
  char buf[32];
  if (seconds >= 1)
    std::snprintf(buf, sizeof buf, "%.0fs/step", seconds);
  else if (seconds >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.0fms/step", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0fus/step", seconds * 1e6);
  return buf;
}
}  // namespace

int resolve_verbose(int verbose) {
  if (verbose < 0) return stdout_is_terminal() ? 1 : 2;
  return verbose;
}

ProgressBar::ProgressBar(int64_t steps, int verbose)
    : steps_(steps),
      verbose_(verbose),
      tty_(stdout_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string ProgressBar::line(int64_t done, const Logs& logs, bool final) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const bool unknown = steps_ < 0;
  std::string out = std::to_string(done) + "/" + (unknown ? "Unknown" : std::to_string(steps_));
  if (verbose_ == 1 && !unknown) {
    constexpr int64_t kWidth = 30;
    int64_t filled = steps_ > 0 ? kWidth * done / steps_ : kWidth;
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) {
      if (filled > 0) bar.back() = '>';
      bar += std::string(static_cast<size_t>(kWidth - filled), '.');
    }
    out += " [" + bar + "]";
  }
  double per_step = done > 0 ? elapsed / static_cast<double>(done) : 0;
  if (final)
    out += " - " + format_duration(elapsed) + " " + format_per_step(per_step);
  else if (unknown)
    out += " - " + format_duration(elapsed);
  else
    out += " - ETA: " + format_duration(per_step * static_cast<double>(steps_ - done));
  for (const auto& [name, value] : logs) out += " - " + name + ": " + format_value(value);
  return out;
}

void ProgressBar::update(int64_t done, const Logs& logs) {
  done_ = done;
  if (verbose_ != 1 || !tty_) return;
  auto now = std::chrono::steady_clock::now();
  if ((steps_ < 0 || done < steps_) && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  std::string text = line(done, logs, false);
  size_t width = text.size();
  if (width < last_width_) text += std::string(last_width_ - width, ' ');
  last_width_ = width;
  std::cout << "\r" << text << std::flush;
}

void ProgressBar::finish(const Logs& logs) {
  if (verbose_ == 0) return;
  std::string text = line(steps_ < 0 ? done_ : steps_, logs, true);
  if (text.size() < last_width_) text += std::string(last_width_ - text.size(), ' ');
  std::cout << (verbose_ == 1 && tty_ ? "\r" : "") << text << "\n" << std::flush;
}

}  // namespace tf::keras::detail
