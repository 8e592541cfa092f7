# The book's section 3.2 (linear regression from scratch) in PyTorch, d2l-en 0.17, cell by cell, for the
# kernel-experience bench (bench/kernel-lesson.ts), which sends each `# %% ROLE` block to ipykernel as
# one cell, beside notebooks/3.2-linear-regression-scratch.ipynb on the d2l-ts kernel. Roles: `first`
# (the imports), `plot`, `training`; every other block is a short cell. The book's `d2l.plt.scatter` is
# matplotlib's (inline, PNG) here, as the `d2l` package is not installed; its helpers are defined below.

# %% first
%matplotlib inline
import random
import torch
from matplotlib import pyplot as plt

# %% short
def synthetic_data(w, b, num_examples):  #@save
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))

# %% short
true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)

# %% short
print('features:', features[0], '\nlabel:', labels[0])

# %% plot
plt.figure(figsize=(3.5, 2.5))
plt.scatter(features[:, (1)].detach().numpy(), labels.detach().numpy(), 1);

# %% short
def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    # The examples are read at random, in no particular order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(
            indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]

# %% short
batch_size = 10
lr = 0.03
num_epochs = 3

# %% short
for X, y in data_iter(batch_size, features, labels):
    print(X, '\n', y)
    break

# %% short
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
print(w, b)

# %% short
def linreg(X, w, b):  #@save
    """The linear regression model."""
    return torch.matmul(X, w) + b

# %% short
def squared_loss(y_hat, y):  #@save
    """Squared loss."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

# %% short
def sgd(params, lr, batch_size):  #@save
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()

# %% training
net = linreg
loss = squared_loss

for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)  # the minibatch loss of X and y
        l.sum().backward()
        sgd([w, b], lr, batch_size)  # update the parameters by their gradient
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')

# %% short
print(f'error in w: {true_w - w.reshape(true_w.shape)}')
print(f'error in b: {true_b - b}')
