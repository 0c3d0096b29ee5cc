"""PyTorch reference for bench/cnn.ts: the fusemix 'cnn' preset as a float network (three 3x3 convs of 64
channels, 'same' padding, relu, 2x2 max pooling after the first two, a Linear layer to 10 classes),
batch 64, plain SGD (lr 0.05), float32, one thread, epochs over the digits bench/cnn.ts writes to
argv[1] (float32 x as n x 1 x 28 x 28, then int64 labels). Prints one JSON line: per-epoch seconds and
the last epoch's train accuracy."""
import json, sys
import torch
from torch_sgd import load_digits, sgd_epochs

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
torch.manual_seed(1)
x, y = load_digits(path, n, (1, 28, 28))
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
)
times, acc = sgd_epochs(model, x, y, runs)
print(json.dumps({"torch": torch.__version__, "seconds": times, "trainAccuracy": acc}))
