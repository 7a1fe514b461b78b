// A digits CNN trained with model.fit on a tf::data pipeline, stopped early on validation loss.
//   build/examples/digits-cnn [epochs]
#include <cstdlib>
#include <iostream>

#include "digits_common.h"

int main(int argc, char** argv) {
  namespace layers = tf::keras::layers;
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 40;
  tf::random::set_seed(0);
  Digits d = load_digits();

  tf::keras::Sequential model({layers::Conv2D(32, 3, "relu", {.padding = "same"}),
                               layers::MaxPooling2D(2), layers::Flatten(), layers::Dropout(0.3),
                               layers::Dense(64, "relu"), layers::Dense(10)});
  model.compile(tf::keras::optimizers::Adam(1e-3),
                tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true),
                {"accuracy"});
  auto stop = std::make_shared<tf::keras::callbacks::EarlyStopping>(
      tf::keras::callbacks::EarlyStoppingOptions{
          .monitor = "val_loss", .patience = 5, .restore_best_weights = true});
  auto history = model.fit(d.x_train, d.y_train,
                           {.batch_size = 32,
                            .epochs = epochs,
                            .validation_data = std::pair{d.x_test, d.y_test},
                            .callbacks = {stop}});
  auto logs = model.evaluate(d.x_test, d.y_test, {.verbose = 0});
  std::cout << "trained " << history.epoch.size() << " epochs; test accuracy: " << logs["accuracy"]
            << "\n";
  return logs["accuracy"] >= 0.98 ? 0 : 1;
}
