"""PyTorch reference for bench/kernels.ts: the same MLP 784-128-10, batch 64, plain SGD (lr 0.05), one
thread, float32, one epoch over the digits that bench/kernels.ts writes to argv[1] (float32 x, then
int64 labels). Prints one JSON line: per-epoch seconds and the final epoch's train accuracy."""
import json, sys, time
import numpy as np
import torch

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
torch.manual_seed(1)
raw = open(path, 'rb').read()
x = torch.from_numpy(np.frombuffer(raw, dtype=np.float32, count=n * 784).reshape(n, 784).copy())
y = torch.from_numpy(np.frombuffer(raw, dtype=np.int64, count=n, offset=n * 784 * 4).copy())
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = torch.nn.CrossEntropyLoss()
times, acc = [], 0.0
for e in range(runs + 1):
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
    if e > 0:
        times.append(time.perf_counter() - t0)
    acc = correct / n
print(json.dumps({"torch": torch.__version__, "seconds": times, "trainAccuracy": acc, "threads": torch.get_num_threads()}))
