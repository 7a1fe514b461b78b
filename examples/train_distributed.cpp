// Data-parallel training of the digits classifier with tf::distribute: one replica per process,
// the processes started by mpirun. Each step takes a global batch of 64 images; each replica
// computes the gradient of its share, the gradients are all-reduced (MPI, inside the compiled
// step), and every replica applies the same update, so 1, 2 or 4 processes train the same model.
//   mpirun -np 4 build/examples/train-distributed [epochs]     (add --oversubscribe on few cores)
//   build/examples/train-distributed                            (one process)
#include <cstdlib>
#include <iostream>

#include "digits_common.h"

int main(int argc, char** argv) {
  namespace layers = tf::keras::layers;
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 30;
  if (epochs <= 0) {
    std::cerr << "usage: " << argv[0] << " [epochs > 0]\n";
    return 2;
  }
  try {
    tf::distribute::MultiWorkerMirroredStrategy strategy;
    tf::random::set_seed(0);
    Digits d = load_digits();
    if (strategy.is_chief())
      std::cout << strategy.num_replicas_in_sync() << " replica(s), global batch 64\n";

    // Built and compiled in the strategy's scope: every replica starts from the chief's weights,
    // and fit shards each batch and all-reduces the gradients.
    tf::keras::Sequential model({layers::Flatten(), layers::Dense(128, "relu"), layers::Dense(10)});
    {
      auto scope = strategy.scope();
      model.compile(tf::keras::optimizers::Adam(1e-3),
                    tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true),
                    {"accuracy"});
    }
    model.fit(d.x_train, d.y_train, {.batch_size = 64, .epochs = epochs, .verbose = 2});

    auto logs = model.evaluate(d.x_test, d.y_test, {.verbose = 0});
    tf::train::Checkpoint({{"model", model}})
        .write("train-distributed-ckpt/model");  // the chief writes
    if (strategy.is_chief())
      std::cout << "test accuracy: " << logs["accuracy"]
                << " (checkpoint: train-distributed-ckpt/model)\n";
    return logs["accuracy"] >= 0.95 ? 0 : 1;
  } catch (const tf::Error& e) {
    std::cerr << "train-distributed: " << e.what() << "\n";
    return 1;
  }
}
