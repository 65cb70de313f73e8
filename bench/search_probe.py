#!/usr/bin/env python3
"""Times a query on a built site's search page in headless Chromium.

Usage: search_probe.py BASE_URL QUERY

BASE_URL is where the site is served (its `base_url`), for example after
`dossier build -r CORPUS -o OUT -u http://127.0.0.1:8765/` and
`python3 -m http.server 8765 --bind 127.0.0.1 --directory OUT`. Opens
`BASE_URL/search/?q=QUERY` twice (a cold cache, then a warm one) and prints the
results line and how long it took to show, from navigation. The index's own
fetches run in Pagefind's worker and are not listed.

Needs Debian's `chromium` and `chromium-driver` and Selenium from PyPI
(`python3 -m venv /tmp/probe && /tmp/probe/bin/pip install selenium`).
"""

import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

RESULTS = (
    "var m = document.querySelector('.pagefind-ui__message');"
    "return m ? m.textContent : '';"
)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    base, query = sys.argv[1].rstrip("/") + "/", sys.argv[2]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        for cache in ("cold", "warm"):
            start = time.time()
            driver.get(f"{base}search/?q={query}")
            message = ""
            while time.time() - start < 60:
                message = driver.execute_script(RESULTS)
                if "result" in message:
                    break
                time.sleep(0.02)
            print(f"{cache}: {message!r} after {time.time() - start:.2f} s")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
