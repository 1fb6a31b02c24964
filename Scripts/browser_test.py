"""Drives the movierec page in headless Chromium (see browser-test.sh): search, rate three films, and check that
recommendations appear and change, that "people like you" lists users and that the compare view opens.
Usage: browser_test.py BASE_URL SCREENSHOT_DIR"""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

base, out = sys.argv[1], sys.argv[2]

# Wait for the server and its model (503/"loading" until the model is in memory).
deadline = time.time() + 60
while True:
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as response:
            if json.load(response).get("status") == "ok":
                break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("the server did not become healthy within 60 s")
    time.sleep(0.2)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)


def updates():
    return int(driver.find_element(By.ID, "recommendations").get_attribute("data-updates") or 0)


def recommendations():
    return [li.find_element(By.CSS_SELECTOR, ".title").text
            for li in driver.find_elements(By.CSS_SELECTOR, "#recommendations > li") if li.find_elements(By.CSS_SELECTOR, ".title")]


def search(text):
    box = driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    # The list says which query it shows once that query's results are rendered.
    wait.until(lambda d: d.find_element(By.ID, "search-results").get_attribute("data-query") == text
               and d.find_elements(By.CSS_SELECTOR, "#search-results > li .title"))
    time.sleep(0.3)   # the debounced search of the typing (150 ms) may render the same results once more
    wait.until(lambda d: d.find_element(By.ID, "search-results").get_attribute("data-query") == text)
    return driver.find_elements(By.CSS_SELECTOR, "#search-results > li")


try:
    driver.get(base + "/")
    driver.execute_script("localStorage.clear()")
    driver.get(base + "/")
    wait.until(lambda d: d.find_element(By.ID, "health").text.endswith("ratings"))
    assert driver.find_element(By.ID, "mode-me").get_attribute("aria-pressed") == "true", "starts as the anonymous user"
    assert recommendations() == [], "no recommendations before any rating"

    lists = []
    for query, pick, stars in (("summer", 0, 5), ("garden", 0, 4), ("the", 1, 1)):
        results = search(query)
        assert results, f"no search result for {query!r}"
        item = results[min(pick, len(results) - 1)]
        title = item.find_element(By.CSS_SELECTOR, ".title").text
        assert query.lower() in title.lower(), f"{title!r} does not match {query!r}"
        before = updates()
        item.find_element(By.CSS_SELECTOR, f'button.star[data-value="{stars}"]').click()
        wait.until(lambda d: updates() > before)
        current = recommendations()
        assert len(current) == 10, f"expected 10 recommendations after rating {title!r}, got {current}"
        assert title not in current, f"the rated film {title!r} is recommended"
        reasons = driver.find_elements(By.CSS_SELECTOR, "#recommendations .reasons li")
        assert reasons, "recommendations come without reasons"
        lists.append(current)
        print(f"rated {title!r} {stars}★ → top 3: {current[:3]}")
    assert lists[0] != lists[1] or lists[1] != lists[2], f"recommendations never changed: {lists}"
    assert lists[0] != lists[2], "recommendations after three ratings equal those after one"
    stored = driver.execute_script("return Object.keys(JSON.parse(localStorage.getItem('movierec.me')))")
    assert len(stored) == 3, f"localStorage should hold three ratings, holds {stored}"

    people = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#similar button.link"))
    people[0].click()
    wait.until(lambda d: "latent cosine" in d.find_element(By.ID, "compare-view").text)
    driver.set_window_size(1280, 1000)
    driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur()")
    time.sleep(0.3)
    driver.save_screenshot(f"{out}/page-laptop.png")

    # Keyboard: the search box, stars and buttons are reachable with Tab.
    driver.find_element(By.ID, "search").click()
    focused = [driver.switch_to.active_element.get_attribute("id") or driver.switch_to.active_element.get_attribute("class")
               for _ in range(3) if not driver.switch_to.active_element.send_keys(Keys.TAB)]
    assert any("star" in (name or "") for name in focused), f"stars are not reachable with Tab: {focused}"

    driver.set_window_size(390, 844)
    time.sleep(0.3)
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone-sized window ({width}px)"
    driver.save_screenshot(f"{out}/page-phone.png")
    print(f"screenshots: {out}/page-laptop.png, {out}/page-phone.png")
finally:
    driver.quit()
