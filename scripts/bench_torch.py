#!/usr/bin/env python3
"""PyTorch reference timings for `npm run bench` (lib/bench): the same EDSR and step, written with plain torch.nn.

Prints one JSON object: {"secondsMedian", "layout", "layouts": {layout: secondsMedian}, "threads", "torch"}.
Both NCHW and channels_last are timed; the faster one is reported (spec/backends.md section 1).
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

MEAN = (0.4488, 0.4371, 0.4040)
IMG_RANGE = 255.0


class ResBlock(nn.Module):
    def __init__(self, c, res_scale):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1)
        self.relu = nn.ReLU(inplace=True)
        self.res_scale = res_scale

    def forward(self, x):
        t = self.conv2(self.relu(self.conv1(x)))
        return x + t * self.res_scale if self.res_scale != 1 else x + t


class EDSR(nn.Module):
    """EDSR, BasicSR layout (spec/architectures.md section 2); scale 2, 3 or 4."""

    def __init__(self, feats, blocks, res_scale, scale):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.conv_first = nn.Conv2d(3, feats, 3, 1, 1)
        self.body = nn.Sequential(*[ResBlock(feats, res_scale) for _ in range(blocks)])
        self.conv_after_body = nn.Conv2d(feats, feats, 3, 1, 1)
        ups = []
        if scale == 3:
            ups += [nn.Conv2d(feats, 9 * feats, 3, 1, 1), nn.PixelShuffle(3)]
        else:
            for _ in range({2: 1, 4: 2}[scale]):
                ups += [nn.Conv2d(feats, 4 * feats, 3, 1, 1), nn.PixelShuffle(2)]
        self.upsample = nn.Sequential(*ups)
        self.conv_last = nn.Conv2d(feats, 3, 3, 1, 1)

    def forward(self, x):
        x = (x - self.mean) * IMG_RANGE
        s = self.conv_first(x)
        r = self.conv_after_body(self.body(s)) + s
        return self.conv_last(self.upsample(r)) / IMG_RANGE + self.mean


def time_layout(args, layout):
    torch.manual_seed(0)
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    model = EDSR(args.feats, args.blocks, args.res_scale, args.scale).to(memory_format=fmt)
    lr = torch.rand(args.batch, 3, args.patch, args.patch).contiguous(memory_format=fmt)
    times = []
    if args.mode == "train":
        hr = torch.rand(args.batch, 3, args.patch * args.scale, args.patch * args.scale).contiguous(memory_format=fmt)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.99), eps=1e-8)
        loss_fn = nn.L1Loss()
        for i in range(args.warmup + args.repeats):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(lr), hr)
            loss.backward()
            opt.step()
            loss.item()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    else:
        model.eval()
        with torch.inference_mode():
            for i in range(args.warmup + args.repeats):
                t0 = time.perf_counter()
                out = model(lr)
                out.sum().item()
                if i >= args.warmup:
                    times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["train", "infer"], required=True)
    p.add_argument("--feats", type=int, required=True)
    p.add_argument("--blocks", type=int, required=True)
    p.add_argument("--res-scale", type=float, default=1.0)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--patch", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--layouts", default="nchw,channels_last")
    args = p.parse_args()
    # Debian's torch 1.13 defaults to 1 thread on this machine: always set it explicitly.
    torch.set_num_threads(args.threads)
    layouts = {name: time_layout(args, name) for name in args.layouts.split(",")}
    best = min(layouts, key=layouts.get)
    json.dump({"secondsMedian": layouts[best], "layout": best, "layouts": layouts,
               "threads": torch.get_num_threads(), "torch": torch.__version__}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
