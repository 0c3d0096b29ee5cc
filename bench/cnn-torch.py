"""PyTorch reference for bench/cnn.ts: the fusemix 'cnn' preset as a float network (three 3x3 convs of 64
channels, 'same' padding, relu, 2x2 max pooling after the first two, a Linear layer to 10 classes),
batch 64, plain SGD (lr 0.05), float32, one thread, epochs over the digits bench/cnn.ts writes to
argv[1] (float32 x as n x 1 x 28 x 28, then int64 labels). Prints one JSON line: per-epoch seconds and
the last epoch's train accuracy."""
import json, sys, time
import numpy as np
import torch

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
torch.manual_seed(1)
raw = open(path, 'rb').read()
x = torch.from_numpy(np.frombuffer(raw, dtype=np.float32, count=n * 784).reshape(n, 1, 28, 28).copy())
y = torch.from_numpy(np.frombuffer(raw, dtype=np.int64, count=n, offset=n * 784 * 4).copy())
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()
times, acc = [], 0.0
for e in range(runs):
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
    times.append(time.perf_counter() - t0)
    acc = correct / n
print(json.dumps({"torch": torch.__version__, "seconds": times, "trainAccuracy": acc}))
