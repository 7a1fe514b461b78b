// A digits classifier as in Keras: Sequential, compile, fit with a progress bar, evaluate.
//   build/examples/digits-mlp [epochs]
#include <cstdlib>
#include <iostream>

#include "digits_common.h"

int main(int argc, char** argv) {
  namespace layers = tf::keras::layers;
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 40;
  tf::random::set_seed(0);
  Digits d = load_digits();

  tf::keras::Sequential model(
      {layers::Flatten(), layers::Dense(128, "relu"), layers::Dropout(0.2), layers::Dense(10)});
  model.compile(tf::keras::optimizers::Adam(1e-3),
                tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true),
                {"accuracy"});
  model.fit(d.x_train, d.y_train, {.batch_size = 32, .epochs = epochs, .validation_split = 0.1});
  model.summary();
  auto logs = model.evaluate(d.x_test, d.y_test);
  std::cout << "test accuracy: " << logs["accuracy"] << "\n";
  return logs["accuracy"] >= 0.97 ? 0 : 1;
}
