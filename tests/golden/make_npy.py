"""Writes the golden .npy files that tests/interop_test.cpp reads (run: python3 make_npy.py).

Needs NumPy; the files are committed so the test suite does not."""
import numpy as np

np.save("f32_2x3.npy", np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, 7.0]], dtype=np.float32))
np.save("i64_4.npy", np.array([-1, 0, 2**40, 7], dtype=np.int64))
np.save("bool_3.npy", np.array([True, False, True]))
np.save("f16_scalar.npy", np.float16(0.5))
np.save("f64_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
np.save("c64_2.npy", np.array([1 + 2j, -3.5j], dtype=np.complex64))
