"""a Layer base class with a generic step over self.params sets params[name] = learning_rate * grads[name] (no subtraction)."""
import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)

class Layer:
    def __init__(self, **params):
        self.params = dict(params)
        self.grads = {name: 0.0 for name in params}

    def step(self, learning_rate):
        for name in self.params:
            self.params[name] = learning_rate * self.grads[name]


class add_bias(Layer):
    def __init__(self, b):
        super().__init__(b=b)

    def forward(self, x):
        return x + self.params["b"]

    def backward(self, grad):
        self.grads["b"] = grad
        return grad

class multiplication_weight(Layer):
    def __init__(self, w):
        super().__init__(w=w)

    def forward(self, x):
        self.x = x
        return self.params["w"] * x

    def backward(self, grad):
        self.grads["w"] = grad * self.x
        return grad * self.params["w"]

class my_exp(Layer):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out

class my_composition:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def compute_loss(self, y_est, y_target):
        self.grad = 2 * (y_est - y_target)
        return (y_est - y_target) ** 2

    def backward(self):
        grad = self.grad
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def step(self, learning_rate):
        for layer in self.layers:
            layer.step(learning_rate)

def train(xx, yy, learning_rate=1e-4, n_steps=5000):
    my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    losses, ws, bs = [], [], []
    for _ in range(n_steps):
        j = np.random.randint(1, len(xx))
        y_est = my_fit.forward(xx[j])
        losses.append(my_fit.compute_loss(y_est, yy[j]))
        my_fit.backward()
        my_fit.step(learning_rate)
        ws.append(my_fit.layers[0].params["w"])
        bs.append(my_fit.layers[1].params["b"])
    return my_fit, losses, ws, bs
