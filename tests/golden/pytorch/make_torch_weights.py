"""Golden files for loading PyTorch weights into tfjit models (tests/keras_functional_test.cpp).

Run with /work/main/.venv-peers/bin/python (torch, safetensors, numpy). Writes, for two
torch.nn.Sequential models with fixed random weights (BatchNorm running statistics included):
  <name>.safetensors   the model's state_dict (safetensors.torch.save_file)
  <name>.x.npy         an input (the conv model's in NHWC, as tfjit takes it)
  <name>.y.npy         the model's output in eval mode (the conv model's in NHWC)
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

torch.manual_seed(0)
here = os.path.dirname(os.path.abspath(__file__))


def randomize(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype.is_floating_point:
                t.copy_(torch.randn_like(t) * 0.5)
                if name.endswith("running_var"):
                    t.abs_().add_(0.5)
    model.eval()


def write(name, model, x, to_nhwc=False):
    randomize(model)
    with torch.no_grad():
        y = model(x)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(here, name + ".safetensors"))
    if to_nhwc:
        x, y = x.permute(0, 2, 3, 1), y.permute(0, 2, 3, 1)
    np.save(os.path.join(here, name + ".x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(here, name + ".y.npy"), y.numpy().astype(np.float32))


write("mlp", torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8),
                                 torch.nn.Linear(8, 3)), torch.randn(4, 6))
write("conv", torch.nn.Sequential(
    torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(),
    torch.nn.Conv2d(4, 6, 3, stride=2),
    torch.nn.ConvTranspose2d(6, 3, 2, stride=2),
    torch.nn.Conv2d(3, 6, 3, padding=1, groups=3)), torch.randn(2, 2, 9, 9), to_nhwc=True)
