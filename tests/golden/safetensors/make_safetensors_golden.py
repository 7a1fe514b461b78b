"""Writes golden.safetensors for tests/safetensors_test.cpp with Hugging Face's safetensors.

Run with the peers venv: .venv-peers/bin/pip install safetensors torch, then
.venv-peers/bin/python tests/golden/safetensors/make_safetensors_golden.py
Values are small integers/halves so every dtype represents them exactly.
"""
import os

import torch
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
base = torch.arange(6, dtype=torch.float64).reshape(2, 3) - 2.5  # -2.5 .. 2.5
tensors = {
    "f16": base.to(torch.float16),
    "bf16": base.to(torch.bfloat16),
    "f32": base.to(torch.float32),
    "f64_scalar": torch.tensor(3.25, dtype=torch.float64),
    "i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
    "i16": torch.tensor([-32768, 7, 32767], dtype=torch.int16),
    "i32": torch.arange(24, dtype=torch.int32).reshape(2, 3, 4) - 12,
    "i64": torch.tensor([-(2**40), 2**40 + 1], dtype=torch.int64),
    "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True, True]),
    "empty": torch.zeros((0, 3), dtype=torch.float32),
}
save_file(tensors, os.path.join(here, "golden.safetensors"),
          metadata={"format": "pt", "source": "make_safetensors_golden.py"})
