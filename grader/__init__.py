"""backprop-grader: grades a numpy backprop homework by running it, in a child process."""

__version__ = "0.3.2"
