"""The book's PyTorch code for the cases that `npm run bench` measures (d2l-en 0.17, sections 3.1-3.3).

Run by bench/index.ts with each Python that imports torch, one process per group, like
bench/child.ts: `python3 bench/pytorch_reference.py small|epoch|closed [NAME]` prints one JSON line
with the same sample names (NAME labels the report). Times are in seconds (per step for the from-scratch loop).
"""
import json
import math
import random
import sys
import time

T_PROCESS = time.perf_counter()  # close to process start (after the interpreter itself)
import resource  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils import data  # noqa: E402

T_FIRST_OP = None


def first_op():
    global T_FIRST_OP
    if T_FIRST_OP is None:
        float((torch.ones(2) + 1).sum())
        T_FIRST_OP = time.perf_counter()


# --- the book's saved helpers (section 3.2, 3.3) ---
def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i : min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


# --- the cases ---
def scratch():
    """3.2: 3 epochs, batch 10, lr 0.03 over 1000 examples with 2 features, per-epoch loss included."""
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, num_epochs, batch_size, net, loss = 0.03, 3, 10, linreg, squared_loss
    steps = 0
    start, cpu = time.perf_counter(), time.process_time()
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            l = loss(net(X, w, b), y)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
            steps += 1
        with torch.no_grad():
            train_l = loss(net(features, w, b), labels)
            float(train_l.mean())
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    err = float((true_w - w.reshape(true_w.shape)).abs().max())
    return {"seconds": seconds, "cpu": cpu, "steps": steps, "error": err}


def concise():
    """3.3: nn.Sequential(nn.Linear(2, 1)), MSELoss, SGD(lr=0.03), 3 epochs over load_array batches of 10."""
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    data_iter = load_array((features, labels), 10)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.03)
    steps = 0
    start, cpu = time.perf_counter(), time.process_time()
    for epoch in range(3):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
            steps += 1
        float(loss(net(features), labels))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    err = float((true_w - net[0].weight.data.reshape(true_w.shape)).abs().max())
    return {"seconds": seconds, "cpu": cpu, "steps": steps, "error": err}


def vectorise(n=100000, loop=True):
    """3.1: add two ones vectors element by element, then with one operation."""
    a, b = torch.ones(n), torch.ones(n)
    c = torch.zeros(n)
    start = time.perf_counter()
    if loop:
        for i in range(n):
            c[i] = a[i] + b[i]
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    d = a + b
    once = time.perf_counter() - start
    assert not loop or float(c.sum()) == float(d.sum()) == 2 * n
    return {"loop": seconds, "once": once}


def scale_data(n=1000000, d=100):
    true_w = torch.tensor([math.sin(i + 1) * 2 for i in range(d)])
    return (true_w, *synthetic_data(true_w, 4.2, n))


def scale_epoch(batch_size=1000):
    """One epoch of the from-scratch loop on n = 1e6, d = 100, batch 1000."""
    true_w, features, labels = scale_data()
    w = torch.normal(0, 0.01, size=(len(true_w), 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    start, cpu = time.perf_counter(), time.process_time()
    for X, y in data_iter(batch_size, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], 0.03, batch_size)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "error": float((w.detach()[:, 0] - true_w).abs().max())}


def closed_form():
    """The closed form on the same data with a column of ones for the bias: the normal equations
    (what d2l.lstsq computes) and torch.linalg.lstsq (QR, what a PyTorch user would call)."""
    true_w, features, labels = scale_data()
    n, d = features.shape
    start, cpu = time.perf_counter(), time.process_time()
    A = torch.cat([features, torch.ones(n, 1)], 1)
    W = torch.linalg.solve(A.T @ A, A.T @ labels)
    normal, normal_cpu = time.perf_counter() - start, time.process_time() - cpu
    del A
    start, cpu = time.perf_counter(), time.process_time()
    A = torch.cat([features, torch.ones(n, 1)], 1)
    W2 = torch.linalg.lstsq(A, labels).solution
    qr, qr_cpu = time.perf_counter() - start, time.process_time() - cpu
    error = max(float((W[:d, 0] - true_w).abs().max()), float((W2[:d, 0] - true_w).abs().max()))
    return {"normal": normal, "normal_cpu": normal_cpu, "lstsq": qr, "lstsq_cpu": qr_cpu, "error": error}


SCRATCH_RUNS, CONCISE_RUNS, JIT_RUNS = 20, 12, 10  # as in bench/child.ts


def main(group, name):
    first_op()
    random.seed(42)
    torch.manual_seed(42)
    samples, errors = {}, {}

    def add(name, value):
        samples.setdefault(name, []).append(value)

    if group == "small":
        r = scratch()
        add("scratch_cold", r["seconds"] / r["steps"])
        add("scratch_cold_cpu", r["cpu"] / r["steps"])
        for i in range(1, SCRATCH_RUNS):
            r = scratch()
            if i >= JIT_RUNS:
                add("scratch_warm", r["seconds"] / r["steps"])
                add("scratch_warm_cpu", r["cpu"] / r["steps"])
            errors["scratch"] = r["error"]
        for i in range(CONCISE_RUNS):
            r = concise()
            if i == 0:
                add("concise_minimize_first", r["seconds"])
            if i >= CONCISE_RUNS // 2:
                add("concise_minimize", r["seconds"])
                add("concise_minimize_cpu", r["cpu"])
            errors["concise_minimize"] = r["error"]
        r = vectorise()
        add("vectorise_loop", r["loop"])
        add("vectorise_once_cold", r["once"])
        for i in range(20):
            add("vectorise_once", vectorise(loop=False)["once"])
    elif group == "epoch":
        r = scale_epoch()
        add("scale_epoch", r["seconds"])
        add("scale_epoch_cpu", r["cpu"])
        errors["epoch"] = r["error"]
    elif group == "closed":
        r = closed_form()
        add("closed_form", r["normal"])
        add("closed_form_cpu", r["normal_cpu"])
        add("closed_form_lstsq", r["lstsq"])
        add("closed_form_lstsq_cpu", r["lstsq_cpu"])
        errors["closed"] = r["error"]
    else:
        raise SystemExit(f"unknown group {group!r}; expected small, epoch or closed")
    return {
        "backend": name,
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "group": group,
        "first_op": T_FIRST_OP - T_PROCESS,
        "samples": samples,
        "tensors": {},
        "errors": errors,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "pytorch")))
