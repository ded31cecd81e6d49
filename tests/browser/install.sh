#!/bin/sh
# Installs Debian's chromium and chromedriver, which the HTML report's browser test drives, when
# they are missing. apt-get needs root: elsewhere this says why it did nothing, exits 0, and
# tests/test_html_browser.py skips with that reason. Selenium is given /usr/bin/chromedriver
# explicitly, so it never downloads a browser or a driver of its own.
set -eu

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/browser/install.sh: chromium or chromedriver missing, and installing them needs root" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "tests/browser/install.sh: chromium or chromedriver missing, and there is no apt-get" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
