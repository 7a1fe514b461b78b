"""Writes the TensorFlow-made golden files that tests/checkpoint_format_test.cpp and
tests/summary_test.cpp read: tensor bundles (tf.train.Checkpoint), a TFRecord file and a
TensorBoard event file, with JSON manifests of what they hold and the object graphs as text.

Run with TensorFlow 2.x and Keras 3 (from the repository root):
    .venv-peers/bin/python tests/golden/checkpoint/make_checkpoint_golden.py
"""
import glob
import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import keras

from tensorflow.core.protobuf import trackable_object_graph_pb2

HERE = os.path.dirname(os.path.abspath(__file__))


def values_of(t):
    a = np.asarray(t)
    if a.dtype == object:
        return [x.decode("latin-1") for x in a.reshape(-1)]
    if a.dtype == np.bool_:
        return [bool(x) for x in a.reshape(-1)]
    if np.issubdtype(a.dtype, np.integer):
        return [int(x) for x in a.reshape(-1)]
    return [float(x) for x in a.astype(np.float64).reshape(-1)]


def manifest(prefix, name):
    """Every key's dtype, shape and values, and the object graph as text."""
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    shapes = reader.get_variable_to_shape_map()
    out = {}
    for key in sorted(shapes):
        value = reader.get_tensor(key)
        entry = {"dtype": dtypes[key].name, "shape": list(shapes[key])}
        if key == "_CHECKPOINTABLE_OBJECT_GRAPH":
            entry["bytes"] = len(value)
        else:
            entry["values"] = values_of(value)
        out[key] = entry
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    with open(os.path.join(HERE, name + "_object_graph.txt"), "w") as f:
        f.write("# tf %s, keras %s: %s's TrackableObjectGraph\n" %
                (tf.__version__, keras.__version__, prefix.replace(HERE + "/", "")))
        f.write("# Every path from the root to a node with attributes (the first one, in\n"
                "# breadth-first order, is the one TensorFlow names the checkpoint key after):\n")
        for line in paths(graph):
            f.write("#   " + line + "\n")
        for i, node in enumerate(graph.nodes):
            f.write("# --- node %d\n" % i)
            f.write(str(node))


def paths(graph, max_depth=7):
    """'key <- path | path ...' for every node with attributes, paths in breadth-first order."""
    found = {}
    frontier = [(0, [])]
    for _ in range(max_depth):
        next_frontier = []
        for node_id, path in frontier:
            for child in graph.nodes[node_id].children:
                p = path + [child.local_name]
                found.setdefault(child.node_id, []).append("/".join(p))
                next_frontier.append((child.node_id, p))
        frontier = next_frontier
    lines = []
    for node_id in sorted(found):
        node = graph.nodes[node_id]
        for attr in node.attributes:
            lines.append("node %d %s <- %s" % (node_id, attr.checkpoint_key,
                                               " | ".join(found[node_id][:4])))
        for slot in node.slot_variables:
            lines.append("node %d slot %s of node %d -> node %d" %
                         (node_id, slot.slot_name, slot.original_variable_node_id,
                          slot.slot_variable_node_id))
    return lines


def plain_variables():
    d = os.path.join(HERE, "plain")
    shutil.rmtree(d, ignore_errors=True)
    module = tf.Module()
    module.w = tf.Variable([[1.5, -2.0, 3.25]], dtype=tf.float32)
    ckpt = tf.train.Checkpoint(
        f32=tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5),
        f64=tf.Variable(np.float64(3.141592653589793)),
        f16=tf.Variable(np.array([0.5, -1.0, 65504.0, 1e-4], dtype=np.float16)),
        bf16=tf.Variable(tf.constant([1.0, -2.5, 3e10], dtype=tf.bfloat16)),
        i8=tf.Variable(np.array([-128, 0, 127], dtype=np.int8)),
        i16=tf.Variable(np.array([[-32768], [32767]], dtype=np.int16)),
        i32=tf.Variable(np.array([1, -2, 2147483647], dtype=np.int32)),
        i64=tf.Variable(np.array([[1, -2], [3, -9223372036854775807]], dtype=np.int64)),
        u8=tf.Variable(np.array([0, 200, 255], dtype=np.uint8)),
        flags=tf.Variable(np.array([True, False, True])),
        empty=tf.Variable(np.zeros((0, 3), dtype=np.float32)),
        text=tf.Variable(tf.constant(["ab", "", "x" * 200])),
        mod=module,
        **{"odd.name/with slash": tf.Variable(7, dtype=tf.int32)})
    prefix = ckpt.write(os.path.join(d, "ckpt"))
    manifest(prefix, "plain")


def keras_model():
    d = os.path.join(HERE, "keras")
    shutil.rmtree(d, ignore_errors=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2)])
    weights = [np.arange(12, dtype=np.float32).reshape(3, 4) / 10 - 0.5,
               np.array([0.1, -0.1, 0.2, 0.0], np.float32),
               np.arange(8, dtype=np.float32).reshape(4, 2) / 8 - 0.25,
               np.array([0.05, -0.05], np.float32)]
    model.set_weights(weights)
    opt = keras.optimizers.Adam(learning_rate=0.01)
    x = tf.constant([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    y = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    prefix = ckpt.save(os.path.join(d, "ckpt"))  # save(): adds save_counter, names ckpt-1
    manifest(prefix, "keras")


def keras_model_only():
    """The same model checkpointed alone: how Keras 3 names a Sequential's layers."""
    d = os.path.join(HERE, "keras_model_only")
    shutil.rmtree(d, ignore_errors=True)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2)])
    model.set_weights([np.full((3, 4), 0.5, np.float32), np.zeros(4, np.float32),
                       np.full((4, 2), -0.5, np.float32), np.ones(2, np.float32)])
    prefix = tf.train.Checkpoint(model=model).write(os.path.join(d, "ckpt"))
    manifest(prefix, "keras_model_only")


def tfrecords():
    path = os.path.join(HERE, "records.tfrecord")
    records = [b"", b"hello", bytes(range(256)) * 2]
    with tf.io.TFRecordWriter(path) as w:
        for r in records:
            w.write(r)
    with open(os.path.join(HERE, "records.json"), "w") as f:
        json.dump([r.hex() for r in records], f)


def events():
    d = os.path.join(HERE, "events")
    shutil.rmtree(d, ignore_errors=True)
    writer = tf.summary.create_file_writer(d)
    with writer.as_default():
        tf.summary.scalar("loss", 0.25, step=1)
        tf.summary.scalar("loss", 0.125, step=2)
        tf.summary.histogram("weights", tf.constant([1.0, 2.0, 2.0, 3.0, 10.0]), step=1, buckets=4)
        tf.summary.text("note", "hello tensorboard", step=3)
    writer.close()
    (path,) = glob.glob(os.path.join(d, "events.out.tfevents.*"))
    os.rename(path, os.path.join(d, "events.out.tfevents.golden.v2"))
    with open(os.path.join(HERE, "events.txt"), "w") as f:
        for raw in tf.data.TFRecordDataset(os.path.join(d, "events.out.tfevents.golden.v2")):
            event = tf.compat.v1.Event.FromString(raw.numpy())
            event.wall_time = 0
            f.write(str(event) + "---\n")


if __name__ == "__main__":
    plain_variables()
    keras_model()
    keras_model_only()
    tfrecords()
    events()
