#!/usr/bin/python3
"""Reference timing for nnergy's BenchmarkLeNetEpoch: one epoch of LeNet-5
training in PyTorch on the CPU with the same network, batch size, optimizer
and thread count.

    /usr/bin/python3 scripts/bench_torch_lenet.py [--threads 2] [--images 60000] [--batch 64] [--epochs 1]

The network is nnergy's zoo "lenet5": conv 1->6 5x5 pad 2, ReLU, max pool 2,
conv 6->16 5x5, ReLU, max pool 2, flatten, 400-120-84-10 with ReLU; SGD with
momentum 0.9, lr 0.01, softmax cross-entropy. The data is random (the
content does not change the time), held in memory, shuffled every epoch and
gathered per batch, as nnergy's training loop does. Prints one line per
epoch with the seconds and images/s.
"""
import argparse
import time

import torch
import torch.nn as nn


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", type=int, default=60000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.randn(args.images, 1, 28, 28)
    y = torch.randint(0, 10, (args.images,))
    model = lenet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    # Warm-up: a few steps so that one-time costs are not timed.
    for i in range(5):
        opt.zero_grad()
        loss_fn(model(x[:args.batch]), y[:args.batch]).backward()
        opt.step()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"images {args.images}, batch {args.batch}")
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(args.images)
        for lo in range(0, args.images, args.batch):
            idx = perm[lo:lo + args.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        print(f"epoch {epoch + 1}: {dt:.2f} s, {args.images / dt:.0f} images/s")


if __name__ == "__main__":
    main()
