// tfjit-fuzz-files: feeds mutated files to tfjit's readers, each case in its own process, and
// classifies what happens (tools/fuzz_driver.h). A seeded random driver: the same seed gives
// the same cases, so a finding is reproduced with `--seed S --kind K --case N --keep DIR`.
//
// Kinds:
//   npy    tf::load_npy on mutated .npy files (seeds: tf::save_npy of tensors of every dtype),
//          then every element read;
//   mlir   a mutated traced graph parsed and compiled to machine code, as `tfjit-dump --stage
//          asm` does (seeds: graphs traced through the public API);
//   cache  a mutated disk-cache entry read back: it must be refused or be the object stored,
//          never another (a mismatch);
//   checkpoint  a tf::train::Checkpoint of a small model and its optimizer with its index or
//          data file mutated, restored into fresh objects;
//   gpu    a mutated serialised GPU program (the launch plan the disk cache keeps: kernels,
//          GEMMs, cuDNN convolutions, scatters, branches) read back and described (seeds: the mlir
//          seeds' programs for sm_90, convolutions as cuDNN steps);
//   bundle a mutated bundle of compiled objects (what a graph compiled on several threads is)
//          unpacked: refused, or objects inside its bytes (seed: two mlir seeds' objects).
// Exit code: 0 when no defect was found, 1 when one was, 2 on usage errors.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "compiler/compiler.h"
#include "compiler/disk_cache.h"
#include "compiler/object_bundle.h"
#include "runtime/gpu_program.h"
#include "tfjit/tfjit.h"
#include "tools/fuzz_driver.h"

namespace {

using namespace tfjit_tools;
using Rng = std::mt19937_64;
namespace fs = std::filesystem;

int64_t pick(Rng& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// --- Mutations ---------------------------------------------------------------------------------

// Replaces the token at or after `at` (a run of characters in `chars` not inside a name: %0,
// ^bb1, #map, f32 stay) with `with`.
bool replace_token(std::string& s, size_t at, const char* chars, const std::string& with) {
  for (size_t begin = s.find_first_of(chars, at); begin != std::string::npos;
       begin = s.find_first_of(chars, s.find_first_not_of(chars, begin))) {
    if (begin > 0 && (std::isalpha(static_cast<unsigned char>(s[begin - 1])) ||
                      std::strchr("%^#_", s[begin - 1])))
      continue;
    size_t end = s.find_first_not_of(chars, begin);
    s.replace(begin, (end == std::string::npos ? s.size() : end) - begin, with);
    return true;
  }
  return false;
}

// Replaces every occurrence of `from` with `to`: a type changed consistently, so the graph still
// parses and its verifiers and shape rules meet it.
void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

// One to four edits: bytes flipped, set to telling values, inserted, deleted, duplicated or
// cut off; and, in text (mostly, so that most graphs still parse and reach the verifiers, the
// shape rules and the compiler): numbers swapped for extreme ones, a tensor type changed
// everywhere (a dim, the element type), an op's function renamed, lines dropped or repeated.
std::string mutate(std::string s, Rng& rng, bool text) {
  static const char kBytes[] = {0, '\xff', '\x7f', '\x80', '9', '-', '(', ')', ',', '\'', 'x', '?'};
  static const std::string kNumbers[] = {"0",
                                         "-1",
                                         "2147483648",
                                         "4294967296",
                                         "-2",
                                         "3",
                                         "1",
                                         "1e400",
                                         "9223372036854775807",
                                         "nan",
                                         "99999999999999999999"};
  static const std::string kDims[] = {"0", "1", "2", "7", "?", "2147483648", "4611686018427387904"};
  static const std::string kElements[] = {"i1",  "f64",          "f16", "bf16",      "i64",  "i8",
                                          "ui8", "complex<f32>", "f80", "!llvm.ptr", "index"};
  static const std::string kFunctions[] = {"add",         "floordiv", "pow",    "argmax",
                                           "reduce_max",  "cumprod",  "bogus",  "less",
                                           "logical_and", "sqrt",     "is_nan", ""};
  const int64_t edits = text ? pick(rng, 1, 2) : pick(rng, 1, 4);
  for (int64_t e = 0; e < edits && !s.empty(); ++e) {
    const auto at = static_cast<size_t>(pick(rng, 0, static_cast<int64_t>(s.size()) - 1));
    const int64_t edit = !text                  ? pick(rng, 0, 5)
                         : pick(rng, 0, 5) == 0 ? pick(rng, 0, 5)
                                                : pick(rng, 6, 10);
    switch (edit) {
      case 0:
        s[at] = static_cast<char>(s[at] ^ (1 << pick(rng, 0, 7)));
        break;
      case 1:
        s[at] = kBytes[pick(rng, 0, std::size(kBytes) - 1)];
        break;
      case 2:
        s.insert(at, static_cast<size_t>(pick(rng, 1, 16)),
                 kBytes[pick(rng, 0, std::size(kBytes) - 1)]);
        break;
      case 3:
        s.erase(at, static_cast<size_t>(pick(rng, 1, 32)));
        break;
      case 4:
        s.resize(at);
        break;
      case 5:
        s.insert(at, s.substr(at, static_cast<size_t>(pick(rng, 1, 64))));
        break;
      case 6:
        replace_token(s, at, "0123456789", kNumbers[pick(rng, 0, std::size(kNumbers) - 1)]);
        break;
      case 7: {  // a tensor type, everywhere: one dim or the element type
        size_t b = s.find("tensor<", at);
        if (b == std::string::npos) b = s.find("tensor<");
        size_t end = b == std::string::npos ? b : s.find('>', b);
        if (end == std::string::npos) break;
        std::string type = s.substr(b, end - b + 1), changed = type;
        if (pick(rng, 0, 1))
          replace_token(changed, 7, "0123456789?", kDims[pick(rng, 0, std::size(kDims) - 1)]);
        else
          changed = changed.substr(0, changed.find_last_of("x<") + 1) +
                    kElements[pick(rng, 0, std::size(kElements) - 1)] + ">";
        replace_all(s, type, changed);
        break;
      }
      case 8: {  // an op's function ("add", "reduce_sum", ...)
        size_t q = s.find(" \"", at);
        size_t end = q == std::string::npos ? q : s.find('"', q + 2);
        if (end != std::string::npos)
          s.replace(q + 2, end - q - 2, kFunctions[pick(rng, 0, std::size(kFunctions) - 1)]);
        break;
      }
      case 9: {  // drop a line
        size_t b = s.rfind('\n', at), end = s.find('\n', at);
        if (b != std::string::npos && end != std::string::npos) s.erase(b, end - b);
        break;
      }
      default: {  // repeat a line
        size_t b = s.rfind('\n', at), end = s.find('\n', at);
        if (b != std::string::npos && end != std::string::npos) s.insert(end, s.substr(b, end - b));
        break;
      }
    }
  }
  return s;
}

// --- Seeds -------------------------------------------------------------------------------------

std::vector<std::string> npy_seeds(const fs::path& dir) {
  std::vector<tf::Tensor> tensors = {
      tf::reshape(tf::range(0.0f, 6.0f), {2, 3}),
      tf::constant(std::vector<int64_t>{1, -2, 3, 1LL << 40, -5}),
      tf::constant({true, false, true, true}),
      tf::cast(tf::constant({0.5f, -1.0f, 65504.0f}), tf::float16),
      tf::constant(std::vector<uint8_t>{0, 255, 7, 8}),
      tf::constant(3.25),
      tf::zeros({0, 3}),
      tf::cast(tf::reshape(tf::range(0, 24), {2, 3, 4}), tf::int16),
  };
  std::vector<std::string> seeds;
  for (size_t i = 0; i < tensors.size(); ++i) {
    fs::path p = dir / ("seed" + std::to_string(i) + ".npy");
    tf::save_npy(p.string(), tensors[i]);
    seeds.push_back(read_file(p));
  }
  return seeds;
}

std::vector<std::string> mlir_seeds() {
  using tf::Tensor;
  const std::string stage = "traced";
  std::vector<std::string> seeds;
  seeds.push_back(tf::function([](const Tensor& x) {
                    return x * x + 2.0f * x + 1.0f;
                  }).graph(stage, tf::zeros({64})));
  seeds.push_back(tf::function([](const Tensor& x, const Tensor& w, const Tensor& b) {
                    return tf::reduce_sum(tf::nn::relu(tf::matmul(x, w) + b), 1);
                  }).graph(stage, tf::zeros({8, 16}), tf::zeros({16, 4}), tf::zeros({4})));
  seeds.push_back(tf::function([](const Tensor& x) {
                    return tf::concat({tf::cumsum(x, 1), tf::reverse(x, {0})(tf::slice(0, 2))}, 0);
                  }).graph(stage, tf::zeros({3, 5})));
  seeds.push_back(tf::function([](const Tensor& x) {
                    return tf::gather(x, tf::argmax(x, 1), 0) +
                           tf::reduce_max(tf::softmax(x), std::vector<int64_t>{0});
                  }).graph(stage, tf::zeros({4, 4})));
  seeds.push_back(tf::function([](const Tensor& x) {
                    return tf::cond(
                        tf::reduce_sum(x) > 0.0f, [&] { return x * 2.0f; }, [&] { return -x; });
                  }).graph(stage, tf::zeros({6})));
  seeds.push_back(
      tf::function([](const Tensor& x) {
        return tf::while_loop(
            [](const std::vector<Tensor>& v) { return v[0] < 100.0f; },
            [](const std::vector<Tensor>& v) { return std::vector<Tensor>{v[0] * 2.0f}; }, {x})[0];
      }).graph(stage, tf::constant(1.0f)));
  seeds.push_back(
      tf::function([](const Tensor& x) {
        return tf::nn::max_pool2d(x, {2}, {2}, "VALID") + tf::random::uniform({1, 2, 2, 3});
      }).graph(stage, tf::zeros({1, 4, 4, 3})));
  seeds.push_back(tf::function([](const Tensor& x, const Tensor& w) {
                    tf::GradientTape tape;
                    tape.watch(x);
                    tape.watch(w);
                    auto y = tf::nn::conv2d(x, w, {2}, "SAME");
                    auto g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{x, w});
                    return tf::reduce_sum(g[0]) + tf::reduce_sum(g[1]);
                  }).graph(stage, tf::zeros({2, 7, 6, 3}), tf::zeros({3, 3, 3, 4})));
  seeds.push_back(  // with cuDNN, one convolution step carrying a bias, a residual and ReLU
      tf::function([](const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r) {
        return tf::nn::relu(tf::nn::conv2d(x, w, {1}, "SAME") + b + r);
      })
          .graph(stage, tf::zeros({2, 5, 4, 3}), tf::zeros({3, 3, 3, 4}), tf::zeros({4}),
                 tf::zeros({2, 5, 4, 4})));
  seeds.push_back(tf::function([](const Tensor& x) {
                    return tf::math::unsorted_segment_max(x, tf::constant({1, 0, 1, -1}), 3) +
                           tf::tensor_scatter_nd_update(tf::zeros({3, 4}), tf::constant({{2}, {0}}),
                                                        x(tf::slice(0, 2)));
                  }).graph(stage, tf::zeros({4, 4})));
  tf::FunctionOptions unknown;
  unknown.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 3})};
  seeds.push_back(
      tf::function(
          [](const Tensor& x) { return tf::cast(x(tf::slice(1, std::nullopt)), tf::int32); },
          unknown)
          .graph(stage, tf::zeros({5, 3})));
  return seeds;
}

// A small model and its optimizer, built and (with `step`) trained once: what the checkpoint
// seed holds and what mutated checkpoints are restored into.
struct Trainable {
  tf::keras::Sequential model{{tf::keras::layers::Dense(4, "relu"), tf::keras::layers::Dense(2)}};
  tf::keras::optimizers::Adam opt{0.01};
  explicit Trainable(bool step) {
    tf::Tensor x = tf::reshape(tf::range(0.0f, 6.0f), {2, 3});
    tf::GradientTape tape;
    tf::Tensor loss = tf::reduce_sum(model(x));
    auto vars = model.trainable_variables();
    auto grads = tape.gradient(loss, vars);
    if (step)
      opt.apply_gradients(grads, vars);
    else
      opt.build(vars);
  }
  tf::train::Checkpoint checkpoint() {
    return tf::train::Checkpoint({{"model", model}, {"optimizer", opt}});
  }
};

// --- The readers (in the child) ----------------------------------------------------------------

template <class F>
Result classify(F&& f) {
  try {
    return f();
  } catch (const tf::Error& e) {
    return {kTyped, e.what()};
  } catch (const std::exception& e) {
    return {kStd, std::string(typeid(e).name()) + ": " + e.what()};
  }
}

Result read_npy(const fs::path& file) {
  return classify([&]() -> Result {
    tf::Tensor t = tf::load_npy(file.string());
    // Touch every element: a buffer shorter than its shape would be read past.
    if (t.dtype() != tf::string && t.num_elements() > 0)
      (void)tf::cast(t, tf::float64).to_vector<double>();
    return {kOk, t.shape().to_string()};
  });
}

Result compile_graph(const std::string& text) {
  return classify([&]() -> Result {
    auto graph = tf::compiler::Graph::parse(text);
    (void)graph->text(tf::compiler::Stage::kAssembly, {});
    return {kOk, ""};
  });
}

Result read_cache_entry(const fs::path& dir, const std::string& digest, const std::string& object) {
  return classify([&]() -> Result {
    tf::compiler::disk_cache::set_directory(dir.string());
    tf::compiler::disk_cache::set_enabled(true);
    std::optional<std::string> got = tf::compiler::disk_cache::read(digest);
    if (got && *got != object) return {kMismatch, "a corrupt entry was read back as an object"};
    return {kOk, got ? "intact" : "refused"};
  });
}

Result read_gpu_program(const std::string& bytes) {
  return classify([&]() -> Result {
    auto p = tf::rt::gpu::Program::deserialize(bytes);
    return {kOk, std::to_string(p.describe().size()) + " characters, " +
                     std::to_string(p.temporary_bytes()) + " temporary bytes"};
  });
}

// A bundle of compiled objects (compiler/object_bundle.h): every object it yields must lie inside
// the bytes, and together with the header cover them exactly.
Result read_bundle(const std::string& bytes) {
  return classify([&]() -> Result {
    const auto parts = tf::compiler::unpack_objects(bytes);
    size_t covered = 0;
    for (std::string_view part : parts) {
      if (part.data() < bytes.data() || part.data() + part.size() > bytes.data() + bytes.size())
        return {kMismatch, "an object outside the bundle's bytes"};
      covered += part.size();
    }
    if (parts.size() > 1 && covered + 8 * (2 + parts.size()) != bytes.size())
      return {kMismatch, "objects and header do not cover the bundle"};
    return {kOk, std::to_string(parts.size()) + " objects"};
  });
}

Result read_checkpoint(const fs::path& prefix) {
  return classify([&]() -> Result {
    Trainable fresh(false);
    auto status = fresh.checkpoint().read(prefix.string());
    // Touch every restored value: a tensor shorter than its shape would be read past.
    for (const auto& v : fresh.model.variables()) (void)v.read_value().to_vector<float>();
    return {kOk, std::to_string(status.missing.size()) + " missing"};
  });
}

// --- Driver ------------------------------------------------------------------------------------

const char* const kKinds[] = {"npy", "mlir", "cache", "checkpoint", "gpu", "bundle"};

void usage(std::ostream& os) {
  os << "usage: tfjit-fuzz-files [options]\n\n"
        "Feeds mutated .npy files, traced graphs, disk-cache entries, checkpoints, GPU "
        "programs\nand bundles of compiled objects"
        " to tfjit's readers, each case in its own process; reports crashes, hangs, non-tfjit\n"
        "exceptions and corrupt cache entries read back as objects.\n\n"
        "options:\n"
        "  --kind K           npy, mlir, cache, checkpoint, gpu, bundle or all (default all)\n"
        "  --keep DIR         write each case's mutated file into DIR\n"
     << kCommonOptionsHelp << "\nexit codes: 0 no defect found, 1 defects found, 2 usage error\n";
}

}  // namespace

int main(int argc, char** argv) {
  FuzzOptions o;
  std::string kind = "all", keep;
  int exit_code = parse_options(argc, argv, "tfjit-fuzz-files", o, usage,
                                [&](const std::string& flag, const auto& value) {
                                  if (flag == "--kind")
                                    kind = value();
                                  else if (flag == "--keep")
                                    keep = value();
                                  else
                                    return false;
                                  return true;
                                });
  if (exit_code >= 0) return exit_code;
  if (kind != "all" && std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) {
    std::cerr << "tfjit-fuzz-files: no kind " << kind
              << " (npy, mlir, cache, checkpoint, gpu, bundle, all)\n";
    return 2;
  }
  // Each case's files live in a private directory, removed at the end.
  fs::path work = fs::temp_directory_path() / ("tfjit-fuzz-files-" + std::to_string(getpid()));
  fs::create_directories(work);
  if (!keep.empty()) fs::create_directories(keep);
  tf::config::enable_disk_cache(false);  // compiling a graph must not read or write the user's

  // Seeds, made in a child: the parent must not start tfjit's threads (the MLIR context's, the
  // pools'), which the forked cases would not have. The cache seed is a real entry: an object
  // stored under a digest.
  const fs::path seeds = work / "seeds", cache_dir = work / "cache";
  Result made = isolated(
      [&] {
        return classify([&]() -> Result {
          fs::create_directories(seeds);
          auto npy = npy_seeds(seeds);  // written as seeds/seed<i>.npy
          auto mlir = mlir_seeds();
          tf::compiler::CompileOptions cudnn;
          cudnn.device_conv_calls = true;
          for (size_t i = 0; i < mlir.size(); ++i) {
            write_file(seeds / ("graph" + std::to_string(i) + ".mlir"), mlir[i]);
            try {
              write_file(
                  seeds / ("program" + std::to_string(i) + ".gpu"),
                  tf::compiler::Graph::parse(mlir[i])->gpu_program("sm_90", cudnn).serialize());
            } catch (const tf::UnimplementedError&) {  // not every graph runs on the GPU
            }
          }
          namespace cache = tf::compiler::disk_cache;
          const std::string digest = cache::digest("tfjit-fuzz-files seed");
          cache::set_directory(cache_dir.string());
          cache::set_enabled(true);
          cache::write(digest, mlir.front());  // any bytes: the cache does not interpret them
          if (cache::read(digest) != mlir.front())
            return {kStd, "the seed entry did not read back"};
          write_file(seeds / "digest", digest);
          write_file(seeds / "object", mlir.front());
          write_file(seeds / "bundle", tf::compiler::pack_objects(
                                           {tf::compiler::Graph::parse(mlir[0])->object_code(),
                                            tf::compiler::Graph::parse(mlir[1])->object_code()}));
          Trainable(true).checkpoint().write((seeds / "checkpoint" / "ckpt").string());
          return {kOk, ""};
        });
      },
      600, o.memory_limit_mb);
  if (made.outcome != kOk) {
    std::cerr << "tfjit-fuzz-files: making the seeds failed: " << made.detail << "\n";
    return 2;
  }
  std::vector<fs::path> files;  // sorted: a seed's cases are the same on every machine
  for (const auto& f : fs::recursive_directory_iterator(work))
    if (f.is_regular_file()) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> npy, mlir, gpu;
  fs::path entry;
  for (const fs::path& f : files) {
    if (f.extension() == ".npy") npy.push_back(read_file(f));
    if (f.extension() == ".mlir") mlir.push_back(read_file(f));
    if (f.extension() == ".gpu") gpu.push_back(read_file(f));
    if (f.parent_path().string().starts_with(cache_dir.string())) entry = f;
  }
  const std::string digest = read_file(seeds / "digest"), object = read_file(seeds / "object");
  const std::string entry_bytes = read_file(entry), bundle = read_file(seeds / "bundle");
  const std::string ckpt_suffixes[] = {".index", ".data-00000-of-00001"};
  const std::string ckpt_seed[] = {read_file(seeds / "checkpoint" / ("ckpt" + ckpt_suffixes[0])),
                                   read_file(seeds / "checkpoint" / ("ckpt" + ckpt_suffixes[1]))};

  std::vector<std::vector<int64_t>> counts(std::size(kKinds), std::vector<int64_t>(kNumOutcomes));
  int64_t defects = 0;
  for (size_t k = 0; k < std::size(kKinds); ++k) {
    const std::string name = kKinds[k];
    if (kind != "all" && kind != name) continue;
    for (int64_t n = 0; n < o.cases; ++n) {
      if (!o.runs(n)) continue;
      Rng rng(o.seed * 1000003 + static_cast<uint64_t>(n) * 7 + k);
      Result r;
      std::string bytes;
      if (name == "npy") {
        bytes = mutate(npy[static_cast<size_t>(pick(rng, 0, npy.size() - 1))], rng, false);
        fs::path file = work / "case.npy";
        write_file(file, bytes);
        r = isolated([&] { return read_npy(file); }, o.case_timeout, o.memory_limit_mb);
      } else if (name == "mlir") {
        bytes = mutate(mlir[static_cast<size_t>(pick(rng, 0, mlir.size() - 1))], rng, true);
        r = isolated([&] { return compile_graph(bytes); }, o.case_timeout, o.memory_limit_mb);
      } else if (name == "gpu") {
        bytes = mutate(gpu[static_cast<size_t>(pick(rng, 0, gpu.size() - 1))], rng, false);
        r = isolated([&] { return read_gpu_program(bytes); }, o.case_timeout, o.memory_limit_mb);
      } else if (name == "bundle") {
        bytes = mutate(bundle, rng, false);
        r = isolated([&] { return read_bundle(bytes); }, o.case_timeout, o.memory_limit_mb);
      } else if (name == "checkpoint") {
        const size_t which = static_cast<size_t>(pick(rng, 0, 1));
        bytes = mutate(ckpt_seed[which], rng, false);
        const fs::path prefix = work / "case" / "ckpt";
        fs::create_directories(prefix.parent_path());
        write_file(prefix.string() + ckpt_suffixes[which], bytes);
        write_file(prefix.string() + ckpt_suffixes[1 - which], ckpt_seed[1 - which]);
        r = isolated([&] { return read_checkpoint(prefix); }, o.case_timeout, o.memory_limit_mb);
      } else {
        bytes = mutate(entry_bytes, rng, false);
        write_file(entry, bytes);
        r = isolated([&] { return read_cache_entry(cache_dir, digest, object); }, o.case_timeout,
                     o.memory_limit_mb);
        // The reader may have removed a corrupt entry: the next case writes it again.
      }
      if (!keep.empty()) write_file(fs::path(keep) / (name + "-" + std::to_string(n)), bytes);
      ++counts[k][r.outcome];
      const bool defect = is_defect(r.outcome);
      defects += defect;
      if (defect || o.verbose)
        std::cout << (defect ? "DEFECT " : "") << kOutcomeNames[r.outcome] << " kind " << name
                  << " case " << n << (r.detail.empty() ? "" : ": " + r.detail.substr(0, 200))
                  << std::endl;
      if ((n + 1) % 50 == 0)
        std::cerr << "[tfjit-fuzz-files] " << name << " " << (n + 1) << "/" << o.cases << " cases, "
                  << defects << " defects\n";
    }
  }
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return print_outcomes("tfjit-fuzz-files: seed " + std::to_string(o.seed) + ", " +
                            std::to_string(o.cases) + " cases per kind",
                        "kind", std::vector<std::string>(std::begin(kKinds), std::end(kKinds)),
                        counts);
}
