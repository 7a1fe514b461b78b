// tf.data.TFRecordDataset: the records of TFRecord files, read one at a time as the iteration
// pulls them (tf::detail::TFRecordReader reads each record at its offset: the file is never loaded
// whole).
#include <memory>

#include "frontend/src/train/tfrecord.h"
#include "tfjit/data.h"

namespace tf::data {

Dataset TFRecordDataset(std::vector<std::string> filenames) {
  for (const std::string& f : filenames)
    if (f.empty()) throw InvalidArgumentError("TFRecordDataset: an empty filename");
  auto files = std::make_shared<const std::vector<std::string>>(std::move(filenames));
  return Dataset::from_generator([files] {
    // A std::function must be copyable: the reader lives behind a shared_ptr.
    struct State {
      size_t file = 0;
      std::unique_ptr<tf::detail::TFRecordReader> reader;
    };
    auto state = std::make_shared<State>();
    return [files, state]() -> std::optional<Element> {
      while (state->file < files->size()) {
        if (!state->reader)
          state->reader = std::make_unique<tf::detail::TFRecordReader>((*files)[state->file]);
        if (auto record = state->reader->next()) return Element{constant(std::move(*record))};
        state->reader.reset();
        ++state->file;
      }
      return std::nullopt;
    };
  });
}

}  // namespace tf::data
