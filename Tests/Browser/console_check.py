"""The status console in a real browser (chromium through Selenium), driven by ConsoleBrowserTests.

Usage: console_check.py URL BALLAST STATE EXPECTED.json SCREENSHOT.png

EXPECTED.json: {"sites": [...], "resources": [...], "reported": ID, "healed": ID}. Checks that the
page lists every site and resource; that drift made with `ballast sim drift` on a resource that
does not heal itself appears live and goes away live; that a heal on another resource shows in
the recent events live; all without a reload; and that both resources' pages list their drift
history. Prints one line per failure; exit 0 when all
passed, 1 on a failure, 77 when chromium cannot start.
"""
import json, os, subprocess, sys, time

os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager download a driver
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError as error:
    print(f"selenium is not installed ({error}); pip install selenium")
    sys.exit(77)

url, ballast, state, expected_path, screenshot = sys.argv[1:6]
expected = json.load(open(expected_path))
failures = []

def find_binary(*names):
    for name in names:
        for directory in os.environ.get("PATH", "/usr/bin").split(":") + ["/usr/bin", "/usr/lib/chromium"]:
            path = os.path.join(directory, name)
            if os.access(path, os.X_OK):
                return path
    return None

browser = find_binary("chromium", "chromium-browser", "google-chrome")
driver_path = find_binary("chromedriver")
if not browser or not driver_path:
    print(f"chromium ({browser}) or chromedriver ({driver_path}) is missing: apt-get install chromium chromium-driver")
    sys.exit(77)
options = webdriver.ChromeOptions()
options.binary_location = browser
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800"]:
    options.add_argument(argument)
try:
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
except Exception as error:
    print(f"chromium cannot start here: {error}")
    sys.exit(77)

def run_ballast(*arguments):
    subprocess.run([ballast, *arguments, "--state", state], check=True, capture_output=True)

def wait_for(description, condition, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(0.2)
    failures.append(f"timed out waiting for {description}")
    return False

def row(resource_id):
    kind_name, site = resource_id.split("@")
    for element in driver.find_elements(By.CSS_SELECTOR, "#resources tr"):
        cells = element.find_elements(By.CSS_SELECTOR, "th, td")
        if len(cells) > 1 and cells[0].text.split("\n")[0] == kind_name and cells[1].text == site:
            return element.text
    return None

try:
    driver.get(url + "/?per=500")
    sites = driver.find_element(By.ID, "sites").text
    for site in expected["sites"]:
        if site not in sites:
            failures.append(f"site {site} is not listed")
    for resource in expected["resources"]:
        if row(resource) is None:
            failures.append(f"resource {resource} is not listed")
    # A marker that a reload would lose.
    driver.execute_script("window.ballastMarker = 42;")
    wait_for("the live stream to connect", lambda: driver.find_element(By.ID, "live").text.startswith("Live"))

    reported = expected["reported"]
    run_ballast("sim", "drift", reported, "sizeGb=99")
    wait_for(f"{reported} to show Drifted live", lambda: "Drifted" in (row(reported) or ""))
    run_ballast("sim", "drift", reported, "sizeGb=" + str(expected["reportedSize"]))
    wait_for(f"{reported} to stop being Drifted live", lambda: "Drifted" not in (row(reported) or "Drifted"))

    healed = expected["healed"]
    run_ballast("sim", "drift", healed, "versioning=false")
    wait_for(f"the heal of {healed} in the recent events", lambda: any(
        healed in item.text and "update" in item.text and "succeeded" in item.text
        for item in driver.find_elements(By.CSS_SELECTOR, "#events li")))
    if driver.execute_script("return window.ballastMarker") != 42:
        failures.append("the page was reloaded: live updates must not reload it")
    driver.save_screenshot(screenshot)

    # Each resource's page keeps its drift history: reported with the field, or healed.
    for resource, words in [(reported, ["reported", "sizeGb"]), (healed, ["healed", "by update"])]:
        driver.get(url + "/resources/" + resource.replace("/", "%2F").replace("@", "%40"))
        history = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=drift-heading]").text
        for word in words:
            if word not in history:
                failures.append(f"the drift history of {resource} lacks '{word}': {history!r}")
finally:
    driver.quit()

for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
