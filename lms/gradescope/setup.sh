#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: the zip is unpacked in
# $AUTOGRADER_ROOT/source (Gradescope's /autograder/source), and this builds $AUTOGRADER_ROOT/venv.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"

# The system Python under /usr: the unprivileged user that runs student code must be able to read
# the interpreter's library (see the README's "The sandbox"). Ubuntu's lacks venv until installed.
if ! /usr/bin/python3 -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 10)' 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-venv
fi

/usr/bin/python3 -m venv "$root/venv"
# Every version from the bundle's lock, the build backend's included: two builds grade alike.
export PIP_CONSTRAINT="$source_dir/requirements.lock"
"$root/venv/bin/python" -m pip install --quiet --disable-pip-version-check pip setuptools
# Editable, so the only copy of reference/ is the one in source/, which the grader hides from the
# student's process; a regular install would put a readable second copy in site-packages.
"$root/venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$source_dir"
echo "setup.sh: the grader is installed in $root/venv"
