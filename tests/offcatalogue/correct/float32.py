# I use float32 everywhere (like on the GPU in the lab).
import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)

F = np.float32


class add_bias:
    def __init__(self, b):
        self.b = F(b)

    def forward(self, x):
        return np.asarray(x, dtype=F) + self.b

    def backward(self, grad):
        self.grad = np.asarray(grad, dtype=F)
        return self.grad

    def step(self, learning_rate):
        self.b = self.b - F(learning_rate) * self.grad


class multiplication_weight:
    def __init__(self, w):
        self.w = F(w)

    def forward(self, x):
        self.x = np.asarray(x, dtype=F)
        return self.w * self.x

    def backward(self, grad):
        grad = np.asarray(grad, dtype=F)
        self.grad = grad * self.x
        return grad * self.w

    def step(self, learning_rate):
        self.w = self.w - F(learning_rate) * self.grad


class my_exp:
    def forward(self, x):
        self.out = np.exp(np.asarray(x, dtype=F))
        return self.out

    def backward(self, grad):
        return np.asarray(grad, dtype=F) * self.out

    def step(self, learning_rate):
        pass


class my_composition:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        x = np.asarray(x, dtype=F)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def compute_loss(self, y_est, y_target):
        d = np.asarray(y_est, dtype=F) - np.asarray(y_target, dtype=F)
        self.grad = F(2) * d
        return d * d

    def backward(self):
        grad = self.grad
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def step(self, learning_rate):
        for layer in self.layers:
            layer.step(learning_rate)


def train(xx, yy, learning_rate=1e-4, n_steps=5000):
    xx32, yy32 = xx.astype(F), yy.astype(F)
    my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    losses, ws, bs = [], [], []
    for _ in range(n_steps):
        j = np.random.randint(1, len(xx32))
        y_est = my_fit.forward(xx32[j])
        losses.append(my_fit.compute_loss(y_est, yy32[j]))
        my_fit.backward()
        my_fit.step(learning_rate)
        ws.append(my_fit.layers[0].w)
        bs.append(my_fit.layers[1].b)
    return my_fit, losses, ws, bs
