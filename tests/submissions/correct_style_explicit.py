# Homework: backpropagation with numpy
import functools

import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)


class add_bias:
    def __init__(self, b):
        # initialize with a bias b
        self.b = b

    def forward(self, x):
        # return the result of adding the bias
        return np.add(x, self.b)

    def backward(self, grad):
        # save the gradient (to update the bias in the step method) and return the gradient backward
        self.grad = grad
        return grad

    def step(self, learning_rate):
        # update the bias
        self.b = np.subtract(self.b, np.multiply(learning_rate, self.grad))


class multiplication_weight:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        self.saved_x = x
        return np.multiply(self.w, x)

    def backward(self, grad):
        # gradient wrt the weight is the input, gradient wrt the input is the weight
        self.grad_w = np.multiply(grad, self.saved_x)
        grad_x = np.multiply(grad, self.w)
        return grad_x

    def step(self, learning_rate):
        self.w = np.subtract(self.w, np.multiply(learning_rate, self.grad_w))


class my_exp:
    # no parameter

    def forward(self, x):
        self.result = np.exp(x)
        return self.result

    def backward(self, grad):
        return np.multiply(grad, self.result)

    def step(self, learning_rate):
        pass


class my_composition:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        # feed x through every layer, left to right
        return functools.reduce(lambda acc, layer: layer.forward(acc), self.layers, x)

    def compute_loss(self, y_pred, y_true):
        err = np.subtract(y_pred, y_true)
        self.loss_grad = np.multiply(2, err)
        return np.square(err)

    def backward(self):
        g = self.loss_grad
        for layer in self.layers[::-1]:
            g = layer.backward(g)
        return g

    def step(self, learning_rate):
        for layer in self.layers:
            layer.step(learning_rate)


def train(xx, yy, learning_rate=1e-4, n_steps=5000):
    my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    losses = []
    ws = []
    bs = []
    n = 0
    while n < n_steps:
        j = np.random.randint(1, len(xx))
        pred = my_fit.forward(xx[j])
        loss = my_fit.compute_loss(pred, yy[j])
        my_fit.backward()
        my_fit.step(learning_rate)
        losses.append(loss)
        ws.append(my_fit.layers[0].w)
        bs.append(my_fit.layers[1].b)
        n += 1
    return my_fit, losses, ws, bs
