"""Writes examples.tfrecord and strings.tfrecord for tests/tfrecord_dataset_test.cpp with
TensorFlow's own writer: tf.train.Examples (a float image, an int64 label, a bytes name and two
bytes tags; the third example lacks "weight") and plain string records.

Run with the peers venv: .venv-peers/bin/python tests/golden/tfrecord/make_tfrecord_golden.py
"""
import os

import tensorflow as tf

here = os.path.dirname(os.path.abspath(__file__))


def example(i, with_weight):
    feature = {
        "image": tf.train.Feature(float_list=tf.train.FloatList(
            value=[i + 0.5, -i, 2.0 * i, 0.25])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i * 1000000007])),
        "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"example-%d" % i])),
        "tags": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a%d" % i, b"\x00b\xff"])),
    }
    if with_weight:
        feature["weight"] = tf.train.Feature(float_list=tf.train.FloatList(value=[0.5 * i]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


with tf.io.TFRecordWriter(os.path.join(here, "examples.tfrecord")) as w:
    for i in range(3):
        w.write(example(i, with_weight=i != 2))
with tf.io.TFRecordWriter(os.path.join(here, "strings.tfrecord")) as w:
    for s in [b"first", b"", b"third \x00 record"]:
        w.write(s)
