// A custom training loop, as TensorFlow's guide writes one: a tf::data pipeline, a model
// subclass, a tf::function step with GradientTape and an optimizer, metrics by hand, and a
// checkpoint per epoch that a second run resumes from.
//   build/examples/custom-training-loop [epochs] [checkpoint directory]
#include <cstdlib>
#include <iostream>

#include "digits_common.h"

// A model of one's own: its layers are tracked as call() first calls them.
class Classifier : public tf::keras::Model {
 public:
  Classifier() : tf::keras::Model("classifier") {}
  tf::Tensor call(const tf::Tensor& x, bool training) override {
    tf::Tensor h = hidden_(flatten_(x));
    return out_(dropout_(h, training));
  }

 private:
  tf::keras::layers::Flatten flatten_;
  tf::keras::layers::Dense hidden_{128, "relu"};
  tf::keras::layers::Dropout dropout_{0.2};
  tf::keras::layers::Dense out_{10};
};

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::string ckpt_dir = argc > 2 ? argv[2] : "custom-training-loop-ckpt";
  tf::random::set_seed(0);
  Digits d = load_digits();
  auto train = tf::data::Dataset::from_tensor_slices({d.x_train, d.y_train})
                   .shuffle(2000, /*seed=*/1)
                   .batch(32)
                   .prefetch(2);

  Classifier model;
  tf::keras::optimizers::Adam opt(1e-3);
  tf::keras::losses::SparseCategoricalCrossentropy loss_fn(/*from_logits=*/true);
  tf::keras::metrics::SparseCategoricalAccuracy accuracy;
  auto step = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    tf::Tensor logits = model(x, /*training=*/true);
    tf::Tensor loss = loss_fn(y, logits);
    auto vars = model.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    accuracy.update_state(y, logits);
    return loss;
  });

  // The model is built (one call) and the optimizer's slots made before restoring, so every
  // variable the checkpoint holds exists to receive its value.
  model(d.x_train(tf::slice(0, 1)));
  opt.build(model.trainable_variables());
  tf::Variable epoch_counter(int64_t{0}, "epoch", /*trainable=*/false);
  tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}, {"epoch", epoch_counter}});
  tf::train::CheckpointManager manager(ckpt, ckpt_dir, /*max_to_keep=*/2);
  if (auto latest = manager.latest_checkpoint()) {
    ckpt.read(*latest).assert_consumed();
    std::cout << "resumed from " << *latest << " after epoch "
              << epoch_counter.read_value().item<int64_t>() << "\n";
  }

  for (int64_t epoch = epoch_counter.read_value().item<int64_t>(); epoch < epochs; ++epoch) {
    accuracy.reset_state();
    double total = 0;
    int batches = 0;
    for (const tf::data::Element& batch : train) {
      total += step(batch[0], batch[1]).item<float>();
      ++batches;
    }
    epoch_counter.assign(epoch + 1);
    std::cout << "epoch " << epoch + 1 << ": loss " << total / batches << ", accuracy "
              << accuracy.result().item<float>() << " (saved " << manager.save() << ")\n";
  }
  accuracy.reset_state();
  accuracy.update_state(d.y_test, model(d.x_test));
  std::cout << "test accuracy: " << accuracy.result().item<float>() << " (" << step.trace_count()
            << " traces: full batches and the last, smaller one)\n";
  return 0;
}
