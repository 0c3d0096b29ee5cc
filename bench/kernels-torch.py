"""PyTorch reference for bench/kernels.ts: the same MLP 784-128-10, batch 64, plain SGD (lr 0.05), one
thread, float32, one epoch over the digits that bench/kernels.ts writes to argv[1] (float32 x, then
int64 labels). Prints one JSON line: per-epoch seconds and the final epoch's train accuracy."""
import json, sys
import torch
from torch_sgd import load_digits, sgd_epochs

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
torch.manual_seed(1)
x, y = load_digits(path, n, (784,))
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
times, acc = sgd_epochs(model, x, y, runs, warmup=1)
print(json.dumps({"torch": torch.__version__, "seconds": times, "trainAccuracy": acc, "threads": torch.get_num_threads()}))
