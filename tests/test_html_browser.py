"""The HTML report in a real headless Chromium: it shows the score, its plots load, the console is
clean, and a student's <script> stays text. Leaves a screenshot in tests/artifacts/ to look at."""

import fcntl
import subprocess
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from helpers import TESTS, grade, graded
from grader.render import render
from test_reports import SCRIPT, TWO_BUGS, script_submission

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = TESTS / "browser" / "install.sh"
ARTIFACTS = TESTS / "artifacts"
WIDTH = 1100  # px: the report's column and the two training plots side by side
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def installed():
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def ensure_chromium(lock_directory):
    """Installs chromium and chromedriver when missing (as root); skips the test when that cannot be done.
    The lock keeps two pytest-xdist workers from running apt-get at once."""
    if installed():
        return
    with open(lock_directory / "chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed():
            proc = subprocess.run(["sh", str(INSTALL)], capture_output=True, text=True, timeout=900)
            if not installed():
                pytest.skip(
                    f"chromium and chromedriver are absent and {INSTALL.name} could not install them: "
                    f"{(proc.stderr or proc.stdout).strip()[-500:]}"
                )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    ensure_chromium(tmp_path_factory.getbasetemp().parent)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is never asked, so nothing is ever downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def open_report(browser, result, directory):
    page = directory / "report.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    browser.set_window_size(WIDTH, 900)
    browser.get_log("browser")  # reading the log empties it: what an earlier page logged is not this page's
    browser.get(page.as_uri())
    return page


def severe_console_entries(browser):
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_report_in_headless_chromium(browser, tmp_path):
    result = graded(TWO_BUGS)
    open_report(browser, result, tmp_path)
    score = f"{result.score:g} / {result.max_score:g}"
    assert score in browser.title
    assert score in browser.find_element(By.TAG_NAME, "h1").text
    figures = browser.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(figures) >= 2
    for figure in figures:  # drawn, at a width the page gives it, with its lines
        assert figure.is_displayed() and figure.size["width"] > 200
        assert browser.execute_script("return arguments[0].querySelectorAll('path').length", figure) >= 4
    assert severe_console_entries(browser) == []
    # The whole page in one picture: the window as tall as the document.
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(WIDTH, height + 200)
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "report.png"))


def test_student_script_is_shown_not_run(browser, tmp_path):
    open_report(browser, grade(script_submission(tmp_path)), tmp_path)
    assert browser.execute_script("return document.scripts.length") == 0
    assert SCRIPT in browser.find_element(By.CSS_SELECTOR, "pre.output").text
    assert severe_console_entries(browser) == []
