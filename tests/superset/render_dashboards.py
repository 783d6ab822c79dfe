"""Log in to Superset with headless Chromium and render dashboards; print what each chart showed.

Runs with Superset's interpreter (selenium ships with Superset) and Debian's chromium +
chromium-driver: `python render_dashboards.py URL USER PASSWORD OUT_DIR SLUG...`. Prints one JSON
object: {slug: {"charts": [{"name", "state"}], "screenshot": path}}; a state is "data",
"error", "empty" or "loading" (never finished).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1600,2200",
]

# Evaluated in the page: the state of every chart tile of the dashboard grid.
CHART_STATES_JS = """
return Array.from(document.querySelectorAll('.dashboard-component-chart-holder')).map(el => {
  const title = el.querySelector('.header-title, [data-test="editable-title"]');
  const name = (title || {}).innerText || '';
  const text = el.innerText || '';
  let state = 'loading';
  if (el.querySelector('.ant-alert-error, [data-test="error-message"], .alert-danger')
      || /Unexpected error|DB::Exception|Error:/.test(text)) state = 'error';
  else if (el.querySelector('[data-test="loading-indicator"], .loading')) state = 'loading';
  else if (/No results were returned|No data/i.test(text)) state = 'empty';
  else if (el.querySelector('canvas, svg, table tbody tr, .header-line, .big-number')) {
    state = 'data';
  }
  return {name: name.trim(), state: state};
});
"""


def driver(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def login(browser: webdriver.Chrome, url: str, user: str, password: str) -> None:
    browser.get(f"{url}/login/")
    wait = WebDriverWait(browser, 60)
    wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "input#username, input[name=username]"))
    )
    browser.find_element(By.CSS_SELECTOR, "input#username, input[name=username]").send_keys(user)
    browser.find_element(By.CSS_SELECTOR, "input#password, input[name=password]").send_keys(
        password
    )
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait.until(lambda b: "/login" not in b.current_url)


def render(browser: webdriver.Chrome, url: str, slug: str, out_dir: Path, timeout_s: float) -> dict:
    browser.get(f"{url}/superset/dashboard/{slug}/?standalone=1")
    deadline = time.monotonic() + timeout_s
    states: list[dict] = []
    while time.monotonic() < deadline:
        states = browser.execute_script(CHART_STATES_JS) or []
        if states and all(s["state"] != "loading" for s in states):
            break
        time.sleep(1)
    time.sleep(1.5)  # let the charts' enter animations finish before the screenshot
    states = browser.execute_script(CHART_STATES_JS) or states
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1600, max(900, min(int(height) + 100, 4000)))
    screenshot = out_dir / f"superset-{slug}.png"
    browser.save_screenshot(str(screenshot))
    return {"charts": states, "screenshot": str(screenshot)}


def main() -> None:
    url, user, password, out_dir, *slugs = sys.argv[1:]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = driver(profile)
        try:
            login(browser, url, user, password)
            result = {slug: render(browser, url, slug, out, timeout_s=120) for slug in slugs}
        finally:
            browser.quit()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
