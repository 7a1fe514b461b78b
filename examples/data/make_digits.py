"""Writes scikit-learn's 8x8 digits data set as .npy files for the C++ examples.

Run:  /work/main/.venv-peers/bin/python examples/data/make_digits.py [--baseline]
(needs scikit-learn: /work/main/.venv-peers/bin/pip install scikit-learn)

Split: sklearn.model_selection.train_test_split(X, y, test_size=0.2,
random_state=0) on the 1797 samples of sklearn.datasets.load_digits(), which
gives 1437 training and 360 test samples (shuffled, not stratified).

Files (next to this script):
    digits_train_x.npy  uint8 (1437, 8, 8, 1), pixel values 0..16 (NHWC)
    digits_train_y.npy  int32 (1437,), labels 0..9
    digits_test_x.npy   uint8 (360, 8, 8, 1)
    digits_test_y.npy   int32 (360,)

--baseline additionally trains two Keras 3 reference models on these files
(inputs scaled by 1/16, Adam(1e-3), batch 32, 30 epochs, sparse categorical
cross-entropy from logits, keras.utils.set_random_seed(0)) and prints their
test accuracy:
    MLP: Flatten -> Dense(64, relu) -> Dense(10)
    CNN: Conv2D(16, 3, relu, padding="same") -> MaxPooling2D(2) -> Flatten
         -> Dense(64, relu) -> Dense(10)
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.images.astype(np.uint8).reshape(-1, 8, 8, 1)
    assert np.array_equal(x.reshape(-1, 64), d.data.astype(np.uint8))
    y = d.target.astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=0)
    assert x_tr.shape == (1437, 8, 8, 1) and x_te.shape == (360, 8, 8, 1)
    assert x.max() == 16 and x.min() == 0
    for name, a in [("digits_train_x", x_tr), ("digits_train_y", y_tr),
                    ("digits_test_x", x_te), ("digits_test_y", y_te)]:
        np.save(os.path.join(HERE, name + ".npy"), np.ascontiguousarray(a))
    print("train", x_tr.shape, np.bincount(y_tr), "test", x_te.shape, np.bincount(y_te))


def baseline():
    import keras
    from keras import layers

    ld = lambda n: np.load(os.path.join(HERE, n + ".npy"))
    x_tr = ld("digits_train_x").astype(np.float32) / 16.0
    x_te = ld("digits_test_x").astype(np.float32) / 16.0
    y_tr, y_te = ld("digits_train_y"), ld("digits_test_y")
    models = {
        "MLP": lambda: keras.Sequential([
            keras.Input((8, 8, 1)), layers.Flatten(),
            layers.Dense(64, activation="relu"), layers.Dense(10)]),
        "CNN": lambda: keras.Sequential([
            keras.Input((8, 8, 1)),
            layers.Conv2D(16, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dense(64, activation="relu"), layers.Dense(10)]),
    }
    for name, make in models.items():
        keras.utils.set_random_seed(0)
        m = make()
        m.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
        m.fit(x_tr, y_tr, batch_size=32, epochs=30, verbose=0)
        loss, acc = m.evaluate(x_te, y_te, verbose=0)
        print("%s: test accuracy %.4f (loss %.4f, %d params)"
              % (name, acc, loss, m.count_params()))


if __name__ == "__main__":
    write_data()
    if "--baseline" in sys.argv[1:]:
        baseline()
