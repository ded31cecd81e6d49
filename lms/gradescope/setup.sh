#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu); the bundle's
# source/ is then at /autograder/source.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip

# From the system Python under /usr: the unprivileged user that runs student code must be able to
# read the interpreter's library (see the README's "The sandbox").
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
# Editable, so the only copy of reference/ is the one in /autograder/source, which the grader hides
# from the student's process; a regular install would put a readable second copy in site-packages.
/autograder/venv/bin/python -m pip install -e /autograder/source
