#!/usr/bin/env python3
"""PyTorch peers of the kit's hot paths, run by the `peers` bench command (bench/ResearchKit.Benchmarks/PeersCommand.cs).

Each sub-command builds the same network / loss / data shapes as the kit's side of the row, times it with the same
protocol (warm-up, then the median of --iters timed repeats) and prints one line:
    RESULT <value> <unit> cpu=<process CPU seconds of the timed part>
Setup (Debian 12): apt-get install python3-torch libopenblas0-pthread python3-torchvision python3-faiss.
Without libopenblas0-pthread Debian's torch runs its matrix products on the reference BLAS (about 40x slower).
pytorch-metric-learning is not packaged for Debian and PyPI is not reachable here, so Proxy Anchor is transcribed
below in plain PyTorch the way PML v2.x computes it (logsumexp with an added zero).
"""
import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timed(step, iters, warmup):
    """Median seconds of `step` over `iters` runs after `warmup` runs, and the process CPU seconds they took."""
    for _ in range(warmup):
        step()
    times = []
    cpu0 = time.process_time()
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), time.process_time() - cpu0


def report(value, unit, cpu):
    print(f"RESULT {value:.6g} {unit} cpu={cpu:.2f}", flush=True)


# ---------- Proxy Anchor (PML v2.x ProxyAnchorLoss, alpha 32, margin 0.1) ----------

def logsumexp_add_one(x, keep_mask, dim):
    """PML's lmu.logsumexp(x, keep_mask, add_one=True, dim): log(1 + sum over the kept entries of exp(x))."""
    x = x.masked_fill(~keep_mask, -math.inf)
    zeros = torch.zeros_like(x.narrow(dim, 0, 1))
    return torch.logsumexp(torch.cat([x, zeros], dim=dim), dim=dim)


def proxy_anchor(cos, labels, num_classes, alpha=32.0, margin=0.1):
    positive = F.one_hot(labels, num_classes).bool()
    pos = logsumexp_add_one(-alpha * (cos - margin), positive, 0)
    neg = logsumexp_add_one(alpha * (cos + margin), ~positive, 0)
    with_positive = positive.any(0).sum().clamp_min(1)
    return pos.sum() / with_positive + neg.sum() / num_classes


def new_proxies(num_classes, dim):
    proxies = torch.empty(num_classes, dim)
    nn.init.kaiming_normal_(proxies, mode="fan_out")
    return nn.Parameter(proxies)


def cosine(embeddings, proxies):
    return F.linear(F.normalize(embeddings, dim=1), F.normalize(proxies, dim=1))


def cmd_pa(a):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(150, 512, generator=g).requires_grad_(True)
    labels = torch.randint(100, (150,), generator=g)
    proxies = new_proxies(100, 512)

    def step():
        proxy_anchor(cosine(x, proxies), labels, 100).backward()
        x.grad = None
        proxies.grad = None

    seconds, cpu = timed(step, a.iters, a.warmup)
    report(seconds * 1e3, "ms", cpu)


# ---------- Calibrate Proxy + Proxy Anchor (transcription of src/ResearchKit/Losses/CalibrateProxyObjective.cs) ----------

class CalibrateProxy(nn.Module):
    """CP with the kit's defaults: K sub-proxies per class (s^p = sum_k softmax_k(s_k / T) s_k), a queue of M normalised
    embeddings per class, s^g = x_hat . g_bar (mean of the class's queue, not re-normalised), S = s^p + s^g, PA on S,
    L_cal = (sum_c n_c sum_k ||p_hat_ck - g_bar_c||^2 + K sum_c spread_c) / (K sum_c n_c D) by the norm identity
    (spread_c = sum_m ||g_cm||^2 - n_c ||g_bar_c||^2), lambda 1, enqueue after the loss."""

    def __init__(self, num_classes, dim, k=3, queue=30, temperature=1.0):
        super().__init__()
        self.c, self.k, self.m, self.d, self.t = num_classes, k, queue, dim, temperature
        self.proxies = new_proxies(num_classes * k, dim)
        self.register_buffer("entries", torch.zeros(num_classes, queue, dim))
        self.register_buffer("counts", torch.zeros(num_classes, dtype=torch.long))
        self.register_buffer("heads", torch.zeros(num_classes, dtype=torch.long))

    @torch.no_grad()
    def enqueue(self, normalized, labels):
        """Ring buffer per class, batch order within a class (vectorised; a class more than M times in one batch
        would need the in-order loop, which these sizes never reach)."""
        one_hot = F.one_hot(labels, self.c)
        rank = (one_hot.cumsum(0) - 1).gather(1, labels[:, None]).squeeze(1)
        self.entries[labels, (self.heads[labels] + rank) % self.m] = normalized
        added = one_hot.sum(0)
        self.heads.copy_((self.heads + added) % self.m)
        self.counts.copy_((self.counts + added).clamp_max(self.m))

    def forward(self, x, labels):
        x_hat = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        p_hat = F.normalize(self.proxies, dim=1)
        s = (x_hat @ p_hat.t()).view(-1, self.c, self.k)
        sp = (torch.softmax(s / self.t, dim=-1) * s).sum(-1)
        n = self.counts.to(x.dtype)
        sums = self.entries.sum(1)
        means = sums / n.clamp_min(1)[:, None]
        loss = proxy_anchor(sp + x_hat @ means.t(), labels, self.c)
        pairs = self.k * n.sum()
        if pairs > 0:
            spread = (self.entries.square().sum((1, 2)) - sums.square().sum(1) / n.clamp_min(1)).clamp_min(0)
            to_mean = (p_hat.view(self.c, self.k, self.d) - means[:, None, :]).square().sum((1, 2))
            loss = loss + ((n * to_mean).sum() + self.k * spread.sum()) / (pairs * self.d)
        self.enqueue(x_hat.detach(), labels)
        return loss


def full_queue(cp, generator):
    for _ in range(2 * cp.m):
        cp.enqueue(F.normalize(torch.randn(cp.c, cp.d, generator=generator), dim=1), torch.arange(cp.c))


def cmd_cp_pa(a):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(150, 512, generator=g).requires_grad_(True)
    labels = torch.randint(100, (150,), generator=g)
    cp = CalibrateProxy(100, 512)
    full_queue(cp, g)

    def step():
        cp(x, labels).backward()
        x.grad = None
        cp.proxies.grad = None

    seconds, cpu = timed(step, a.iters, a.warmup)
    report(seconds * 1e3, "ms", cpu)


# ---------- networks (mirrors of src/ResearchKit.Training/Models) ----------

def glyph_cnn(in_channels, widths):
    """GlyphCnn: 3x3 conv (no bias) -> BN -> ReLU blocks, 2x2 max pooling after every block but the last."""
    layers, c = [], in_channels
    for b, w in enumerate(widths):
        conv = nn.Conv2d(c, w, 3, padding=1, bias=False)
        nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
        layers += [conv, nn.BatchNorm2d(w), nn.ReLU()]
        if b < len(widths) - 1:
            layers.append(nn.MaxPool2d(2))
        c = w
    return nn.Sequential(*layers), widths[-1]


# name, in, 1x1, 3x3 reduce, 3x3, double reduce, double 1, double 2, pool ('avg', 'max1', 'max2'), pool_proj, stride-2
BN_INCEPTION_BLOCKS = [
    ("3a", 192, 64, 64, 64, 64, 96, 96, "avg", 32, False),
    ("3b", 256, 64, 64, 96, 64, 96, 96, "avg", 64, False),
    ("3c", 320, 0, 128, 160, 64, 96, 96, "max2", 0, True),
    ("4a", 576, 224, 64, 96, 96, 128, 128, "avg", 128, False),
    ("4b", 576, 192, 96, 128, 96, 128, 128, "avg", 128, False),
    ("4c", 576, 160, 128, 160, 128, 160, 160, "avg", 128, False),
    ("4d", 608, 96, 128, 192, 160, 192, 192, "avg", 128, False),
    ("4e", 608, 0, 128, 192, 192, 256, 256, "max2", 0, True),
    ("5a", 1056, 352, 192, 320, 160, 224, 224, "avg", 128, False),
    ("5b", 1024, 352, 192, 320, 192, 224, 224, "max1", 128, False),
]


class Cbr(nn.Module):
    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=pad)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.9)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class BNInception(nn.Module):
    """Cadene's BN-Inception without global_pool / last_linear (the kit's BNInception.cs), output (N, 1024, 7, 7)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            Cbr(3, 64, 7, 2, 3), nn.MaxPool2d(3, stride=2, ceil_mode=True),
            Cbr(64, 64, 1, 1, 0), Cbr(64, 192, 3, 1, 1), nn.MaxPool2d(3, stride=2, ceil_mode=True))
        self.blocks = nn.ModuleList()
        for _, cin, c1, r3, c3, rd, d1, d2, pool, proj, down in BN_INCEPTION_BLOCKS:
            s = 2 if down else 1
            m = nn.Module()
            m.b1 = Cbr(cin, c1, 1, 1, 0) if c1 else None
            m.b3 = nn.Sequential(Cbr(cin, r3, 1, 1, 0), Cbr(r3, c3, 3, s, 1))
            m.bd = nn.Sequential(Cbr(cin, rd, 1, 1, 0), Cbr(rd, d1, 3, 1, 1), Cbr(d1, d2, 3, s, 1))
            m.pool = {"avg": nn.AvgPool2d(3, stride=1, padding=1, ceil_mode=True, count_include_pad=True),
                      "max1": nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                      "max2": nn.MaxPool2d(3, stride=2, ceil_mode=True)}[pool]
            m.proj = Cbr(cin, proj, 1, 1, 0) if proj else None
            self.blocks.append(m)

    def forward(self, x):
        x = self.stem(x)
        for m in self.blocks:
            branches = [m.b1(x)] if m.b1 is not None else []
            branches += [m.b3(x), m.bd(x)]
            pooled = m.pool(x)
            branches.append(m.proj(pooled) if m.proj is not None else pooled)
            x = torch.cat(branches, 1)
        return x


def resnet50_features():
    import torchvision  # python3-torchvision
    net = torchvision.models.resnet50()
    return nn.Sequential(*list(net.children())[:-2]), 2048


class EmbeddingNetwork(nn.Module):
    """Backbone -> global average + max pooling -> Linear(F, D) -> x / sqrt(sum x^2 + 1e-12) (the kit's EmbeddingHead)."""

    def __init__(self, backbone, features, dim):
        super().__init__()
        self.backbone = backbone
        self.embedding = nn.Linear(features, dim)
        nn.init.kaiming_normal_(self.embedding.weight, mode="fan_out")
        nn.init.zeros_(self.embedding.bias)

    def forward(self, images):
        flat = self.backbone(images).flatten(2)
        x = self.embedding(flat.mean(2) + flat.amax(2))
        return x / (x.square().sum(1, keepdim=True) + 1e-12).sqrt()


def training_step(model, proxies, images, labels, num_classes, optimizer, cp=None):
    def step():
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
        embeddings = model(images)
        loss = cp(embeddings, labels) if cp is not None else proxy_anchor(cosine(embeddings, proxies), labels, num_classes)
        loss.backward()
        if optimizer is not None:
            optimizer.step()
        else:
            for p in list(model.parameters()) + [proxies]:
                p.grad = None
    return step


def cmd_glyph_step(a):
    """The `default` profile's step: glyph-cnn-small (16/32/64/128), D 64, 100 classes, batch 64 of 1x32x32, PA
    (or with --cp CP + PA, K 3, M 30, queue full), AdamW lr 1e-3 (backbone, head), 1e-1 (proxies), weight decay 1e-4 on every group."""
    torch.manual_seed(0)
    backbone, features = glyph_cnn(1, [16, 32, 64, 128])
    model = EmbeddingNetwork(backbone, features, 64).train()
    cp = None
    if a.cp:
        cp = CalibrateProxy(100, 64)
        full_queue(cp, torch.Generator().manual_seed(0))
    proxies = cp.proxies if cp is not None else new_proxies(100, 64)
    groups = [{"params": list(model.backbone.parameters()), "lr": 1e-3},
              {"params": list(model.embedding.parameters()), "lr": 1e-3},
              {"params": [proxies], "lr": 1e-1}]
    optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
    images = torch.randn(a.batch, 1, 32, 32)
    if a.channels_last:
        # what a tuned script does; the kit's batches are channels-last by construction (DataLoader.ToBatch)
        images = images.contiguous(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
    labels = torch.randint(100, (a.batch,))
    seconds, cpu = timed(training_step(model, proxies, images, labels, 100, optimizer, cp), a.iters, a.warmup)
    report(a.batch / seconds, "img/s", cpu)


def cmd_backbone(a):
    """Forward + backward of backbone + embedding head (D 512) + PA (100 classes) at 224 px, train mode."""
    torch.manual_seed(0)
    backbone, features = resnet50_features() if a.name == "resnet50" else (BNInception(), 1024)
    model = EmbeddingNetwork(backbone, features, 512).train()
    proxies = new_proxies(100, 512)
    images = torch.randn(a.batch, 3, 224, 224)
    labels = torch.randint(100, (a.batch,))
    if a.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
    seconds, cpu = timed(training_step(model, proxies, images, labels, 100, None), a.iters, a.warmup)
    report(a.batch / seconds, "img/s", cpu)


# ---------- SOP-shaped retrieval evaluation (P@1, R-Precision, MAP@R as PML's AccuracyCalculator) ----------

def synthetic_sop(n, dim, classes, spread, seed):
    """Class sizes 2..12 summing to n (one class of 12), Gaussian clusters, shuffled (as SopEvalCommand.SyntheticSop)."""
    import random
    rng = random.Random(seed)
    sizes = [2] * classes
    sizes[0] = min(12, n - 2 * (classes - 1))
    left = n - sum(sizes)
    while left > 0:
        c = rng.randrange(classes)
        if sizes[c] < 12:
            sizes[c] += 1
            left -= 1
    g = torch.Generator().manual_seed(seed)
    labels = torch.repeat_interleave(torch.arange(classes), torch.tensor(sizes))[torch.randperm(n, generator=g)]
    centres = torch.randn(classes, dim, generator=g)
    return centres[labels] + spread * torch.randn(n, dim, generator=g), labels


def pml_metrics(neighbour_labels, labels):
    """P@1, R-Precision, MAP@R from neighbour label lists (self excluded) at least max(R) wide."""
    relevant_count = torch.bincount(labels)[labels] - 1
    k = neighbour_labels.shape[1]
    rel = (neighbour_labels == labels[:, None]).double()
    pos = torch.arange(1, k + 1, dtype=torch.float64)[None, :]
    within = (pos <= relevant_count[:, None]).double()
    r = relevant_count.double().clamp_min(1)
    scored = relevant_count > 0
    p1 = rel[:, 0][scored].mean().item()
    r_prec = ((rel * within).sum(1) / r)[scored].mean().item()
    map_r = ((rel * within * rel.cumsum(1) / pos).sum(1) / r)[scored].mean().item()
    return p1, r_prec, map_r


def cmd_sop_eval(a):
    x, labels = synthetic_sop(a.n, a.dim, a.classes, 2.5, 0)
    x = F.normalize(x, dim=1).contiguous()
    k = int(torch.bincount(labels).max().item())  # max R + 1 (self comes first)
    try:
        import faiss  # python3-faiss
        faiss.omp_set_num_threads(a.threads)
        engine = "faiss IndexFlatIP"

        def search():
            index = faiss.IndexFlatIP(a.dim)
            index.add(x.numpy())
            _, ids = index.search(x.numpy(), k)
            return torch.from_numpy(ids)
    except ImportError:
        engine = "PyTorch brute-force blocks"

        def search():
            out = []
            for i in range(0, a.n, 2048):
                out.append((x[i:i + 2048] @ x.T).topk(k, dim=1).indices)
            return torch.cat(out)

    metrics = []

    def evaluate():
        ids = search()
        # Drop each query itself (first, or wherever a tie put it) and keep k - 1 neighbours.
        own = ids == torch.arange(a.n)[:, None]
        ids = ids[~own].view(a.n, k - 1) if bool((own.sum(1) == 1).all()) else ids[:, 1:]
        metrics.append(pml_metrics(labels[ids], labels))

    seconds, cpu = timed(evaluate, a.iters, 0)
    p1, rp, mr = metrics[-1]
    print(f"engine: {engine}; P@1 {100 * p1:.2f}  R-Prec {100 * rp:.2f}  MAP@R {100 * mr:.2f}", flush=True)
    report(seconds, "s", cpu)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("command", choices=["pa", "cp-pa", "glyph-step", "backbone", "sop-eval", "check"])
    p.add_argument("--cp", action="store_true", help="glyph-step: CP + PA instead of PA")
    p.add_argument("--channels-last", action="store_true", help="glyph-step, backbone: batch and model in torch.channels_last")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--name", default="resnet50")
    p.add_argument("--n", type=int, default=60502)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--classes", type=int, default=11316)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.command == "check":
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
              f"BLAS {torch.__config__.show().split('BLAS_INFO=')[1].split(',')[0]}", flush=True)
        return
    {"pa": cmd_pa, "cp-pa": cmd_cp_pa, "glyph-step": cmd_glyph_step, "backbone": cmd_backbone, "sop-eval": cmd_sop_eval}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
