"""Screenshots of the reviewer UI and the API docs holding `make demo`'s data, for docs/screenshots/demo/.

Run against a platform that `make run` started and `make demo` filled:

    .venv/bin/python scripts/demo_screenshots.py [--review-ui http://127.0.0.1:8100] [--gateway http://127.0.0.1:8000]

Debian's chromium through Playwright (never a downloaded browser); Chinese needs a CJK font where it runs
(Debian's fonts-noto-cjk), or the text renders as boxes.
"""
import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.demo.api import PASSWORD as ADMIN_PASSWORD  # noqa: E402
from scripts.demo.run import ADMIN_PHONE  # noqa: E402
from tests.browser import CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "demo"


def shoot(page, name, full_page=True):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"docs/screenshots/demo/{name}.png")


def open_first_task(page, review_ui, stage):
    page.goto(f"{review_ui}/tasks?stage={stage}")
    link = page.locator("a[href*='/tasks/']").first
    if link.count() == 0:
        return False
    link.click()
    page.wait_for_load_state("networkidle")
    return True


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review-ui", default="http://127.0.0.1:8100")
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page.goto(f"{args.review_ui}/login")
        page.fill("#phone", ADMIN_PHONE)
        page.fill("#password", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        shoot(page, "queues")
        for stage in ("scientific", "initial", "provincial", "national"):
            if open_first_task(page, args.review_ui, stage):
                shoot(page, f"task_{stage}")
        page.goto(f"{args.review_ui}/tasks?status=decided")
        shoot(page, "decided")
        page.goto(f"{args.gateway}/api/v1/docs")
        page.wait_for_load_state("networkidle")
        shoot(page, "api_docs", full_page=False)  # the whole document is a few MB
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
