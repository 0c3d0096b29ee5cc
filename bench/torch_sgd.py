"""Shared by the PyTorch references (kernels-torch.py, cnn-torch.py): the digits file the TypeScript bench
writes (float32 x, then int64 labels) and plain SGD (lr 0.05, batch 64, cross-entropy, one thread) epochs."""
import time
import numpy as np
import torch


def load_digits(path, n, shape):
    """x as an n x *shape float32 tensor and y as n int64 labels, from the bench's binary file."""
    raw = open(path, 'rb').read()
    x = torch.from_numpy(np.frombuffer(raw, dtype=np.float32, count=n * 784).reshape(n, *shape).copy())
    y = torch.from_numpy(np.frombuffer(raw, dtype=np.int64, count=n, offset=n * 784 * 4).copy())
    return x, y


def sgd_epochs(model, x, y, epochs, warmup=0):
    """Train `warmup + epochs` epochs; returns the seconds of the last `epochs` and the last train accuracy."""
    n = len(y)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = torch.nn.CrossEntropyLoss()
    times, acc = [], 0.0
    for e in range(warmup + epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        correct = 0
        for s in range(0, n, 64):
            idx = perm[s:s + 64]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            correct += int((out.argmax(1) == yb).sum())
        if e >= warmup:
            times.append(time.perf_counter() - t0)
        acc = correct / n
    return times, acc
