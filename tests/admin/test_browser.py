"""The real dashboard in a real browser: Debian's chromium, headless, driven by Selenium against
the app served on loopback. Signs in, filters the log, opens a conversation, answers a handoff
(which reaches the worker's web chat), downloads an export, and keeps a screenshot of each page
(laptop and phone sizes) under test-output/admin/.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from actions.respond import Responder
from actions.types import Policy
from bot.admin.accounts import Accounts
from bot.service import BotService
from bot.settings import Settings
from bot.store.store import Store
from bot.web.app import create_app
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from nlu.normalize import fold_key
from tests.admin.conftest import PASSWORD
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "admin"
LAPTOP, PHONE = (1366, 900), (390, 844)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def require_browser() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    reason = "no chromium or chromium-driver (make test installs them: apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Served:
    """The app running on its own event loop in a thread, as `laodong serve` would run it."""

    url: str
    loop: asyncio.AbstractEventLoop
    service: BotService

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)


@pytest.fixture
def served(kb: KnowledgeBase, engine: EmbeddedEngine, tmp_path: Path, knowledge_copy: Path) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
        await store.migrate()
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY, knowledge_dir=knowledge_copy)
        settings = Settings(database_url=store.url, data_dir=tmp_path / "var", secret_key="browser-test-secret")
        runner = web.AppRunner(create_app(settings, service=service))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        await Accounts(store).create_user("can.bo", PASSWORD, "editor")
        state.update(runner=runner, store=store, service=service, url=f"http://127.0.0.1:{port}")

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        finally:
            ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="dashboard-server", daemon=True)
    thread.start()
    assert ready.wait(timeout=60) and "url" in state, "the app did not start"
    yield Served(state["url"], loop, state["service"])

    async def stop() -> None:
        await state["runner"].cleanup()
        await state["store"].close()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    loop.close()


class WebChatWorker:
    """A worker using the web chat over HTTP (keeps the chat cookie)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def say(self, text: str) -> dict[str, Any]:
        req = urllib.request.Request(
            self.base + "/api/chat",
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(req, timeout=30) as res:
            return dict(json.load(res))

    def updates(self) -> list[str]:
        with self.opener.open(self.base + "/api/chat/updates", timeout=30) as res:
            return [m["text"] for m in json.load(res)["messages"]]


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> None:
    """Keep a full-page screenshot (as tall as the page) for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = driver.get_window_size()["width"]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, 600), 4000))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait_for(driver: Any, css: str, count: int) -> list[Any]:
    """Wait until the page holds `count` elements matching css (the web chat answers asynchronously)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count)
    return list(driver.find_elements(By.CSS_SELECTOR, css))


def navigate(driver: Any, by: str, value: str) -> None:
    """Click what `by`/`value` finds, which loads a new page, and wait until the old page is gone.

    The element is looked up afresh on each try: chromium may still be swapping in the page
    that the previous step loaded, and a click on a node of the outgoing document fails.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    for attempt in range(5):
        try:
            WebDriverWait(driver, 30, poll_frequency=0.05).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )
            old = driver.find_element(By.TAG_NAME, "html")
            driver.find_element(by, value).click()
            break
        except (StaleElementReferenceException, WebDriverException):
            if attempt == 4:
                raise
    WebDriverWait(driver, 30, poll_frequency=0.05).until(expected_conditions.staleness_of(old))


@pytest.mark.flaky(reruns=2)
def test_an_official_works_through_the_dashboard(served: Served, browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    worker = WebChatWorker(served.url)
    worker.say("/start")
    worker.say("di xkld nhat can gi")
    worker.say("<script>alert('xss')</script> giá vàng hôm nay bao nhiêu")
    other = WebChatWorker(served.url)
    other.say("bảo hiểm thất nghiệp")
    driver, base = browser, served.url

    # A worker in the web chat asks for an official.
    driver.get(base + "/")
    wait_for(driver, "main .msg.bot", 1)
    driver.find_element(By.ID, "text").send_keys("/nguoi công ty giữ hộ chiếu của em thì làm sao")
    driver.find_element(By.CSS_SELECTOR, "form#ask button").click()
    wait_for(driver, "main .msg.bot", 2)

    # Sign in.
    driver.get(base + "/admin/")
    assert "/admin/login" in driver.current_url
    shot(driver, "login-laptop")
    driver.find_element(By.NAME, "username").send_keys("can.bo")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    navigate(driver, By.CSS_SELECTOR, "main form button[type=submit]")
    assert driver.current_url == base + "/admin/"
    assert driver.find_element(By.TAG_NAME, "h1").text == "Tổng quan"
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 6
    shot(driver, "overview-laptop")

    # Filter the log to what the bot could not answer.
    driver.get(base + "/admin/inquiries")
    Select(driver.find_element(By.NAME, "answered")).select_by_value("no")
    navigate(driver, By.CSS_SELECTOR, "form.filters button[type=submit]")
    assert "answered=no" in driver.current_url
    questions = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "td.question")]
    assert questions == ["<script>alert('xss')</script> giá vàng hôm nay bao nhiêu"]  # shown as text
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018  (no script ran)
    shot(driver, "log-filtered-laptop")

    # Open the conversation: the worker's messages and the bot's replies, in order.
    navigate(driver, By.LINK_TEXT, "Xem hội thoại")
    bubbles = [li.get_attribute("class") for li in driver.find_elements(By.CSS_SELECTOR, "ol.timeline > li")]
    assert bubbles[:2] == ["msg worker", "msg bot"] and any("focus" in b for b in bubbles)
    shot(driver, "conversation-laptop")

    # Answer the handoff; the worker's web chat receives it on its next poll.
    driver.get(base + "/admin/handoffs")
    assert "1" in driver.find_element(By.CSS_SELECTOR, "nav.tabs a.on .count").text
    shot(driver, "handoffs-laptop")
    navigate(driver, By.LINK_TEXT, "Trả lời")
    navigate(driver, By.CSS_SELECTOR, "form.take button[type=submit]")  # "Tôi trả lời yêu cầu này"
    assert "Bạn đang trả lời yêu cầu này" in driver.find_element(By.ID, "assigned").text
    driver.find_element(By.NAME, "answer").send_keys("Bạn mang hợp đồng đến Sở Nội vụ tỉnh để được hướng dẫn.")
    navigate(driver, By.CSS_SELECTOR, "form.reply button[type=submit]")
    assert "Đã gửi câu trả lời" in driver.find_element(By.CSS_SELECTOR, "p.flash").text
    assert driver.find_elements(By.CSS_SELECTOR, "li.msg.official")
    shot(driver, "handoff-answered-laptop")
    assert worker.updates() == []  # the other worker gets nothing

    # The worker's web chat shows that an official took the request, then the reply.
    driver.get(base + "/")
    notice, official = wait_for(driver, "main .msg.official", 2)
    assert "Một cán bộ đã nhận câu hỏi của bạn" in notice.text
    assert "Sở Nội vụ tỉnh" in official.text and "hộ chiếu" in official.text
    shot(driver, "webchat-official-reply-laptop")

    # Unanswered questions and campaigns render.
    driver.get(base + "/admin/unanswered")
    assert "giá vàng" in driver.find_element(By.CSS_SELECTOR, "article.group h2").text
    shot(driver, "unanswered-laptop")

    # Download the filtered log as CSV.
    driver.get(base + "/admin/inquiries?channel=web")
    driver.find_element(By.LINK_TEXT, "CSV").click()
    target = driver.downloads / "nhat-ky.csv"
    WebDriverWait(driver, 30, poll_frequency=0.1).until(lambda _d: target.exists() and target.stat().st_size > 0)
    exported = target.read_text(encoding="utf-8-sig")
    assert "giá vàng hôm nay" in exported and "bảo hiểm thất nghiệp" in exported

    # The same pages on a phone.
    for name, path in (
        ("overview", "/admin/"),
        ("log", "/admin/inquiries"),
        ("handoffs", "/admin/handoffs?status=answered"),
        ("unanswered", "/admin/unanswered"),
        ("enterprises", "/admin/enterprises"),
    ):
        driver.set_window_size(*PHONE)
        driver.get(base + path)
        overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert driver.execute_script(overflow) <= 0, f"{name} is wider than a phone"
        shot(driver, f"{name}-phone")
    driver.set_window_size(*PHONE)
    driver.get(base + "/admin/inquiries")
    navigate(driver, By.LINK_TEXT, "Xem hội thoại")
    assert driver.execute_script(overflow) <= 0, "the conversation is wider than a phone"
    shot(driver, "conversation-phone")


@pytest.mark.flaky(reruns=2)
def test_an_editor_splits_an_unanswered_group_question_by_question(served: Served, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.admin.conftest import turn

    entry = "vn_di_lam_viec_nuoc_ngoai_hop_phap"
    asked = ["lương ở hàn quốc bao nhiêu", "lương hàn quốc có cao không", "giá vàng hôm nay"]
    for i, text in enumerate(asked):
        record = turn(user=f"w{i}", text=text, normalized=fold_key(text), outcome="fallback", answered=False)
        served.run(served.service.store.record(record))
    driver, base = browser, served.url
    driver.get(base + "/admin/login")
    driver.find_element(By.NAME, "username").send_keys("can.bo")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    navigate(driver, By.CSS_SELECTOR, "main form button[type=submit]")

    driver.get(base + "/admin/unanswered")
    first = driver.find_element(By.CSS_SELECTOR, "article.group")  # the Korean wages (gold sorts last)
    boxes = {b.find_element(By.XPATH, "..").text.strip(): b for b in first.find_elements(By.NAME, "ids")}
    assert set(boxes) == set(asked[:2]) and all(b.is_selected() for b in boxes.values())
    boxes[asked[1]].click()  # this one is not about wages in Korea: left out
    Select(first.find_element(By.NAME, "entry")).select_by_value(entry)
    shot(driver, "unanswered-selection-laptop")
    navigate(driver, By.CSS_SELECTOR, "article.group button.teach")
    assert "Đã thêm các câu hỏi" in driver.find_element(By.CSS_SELECTOR, "p.flash").text
    assert served.service.kb.entries[entry].examples[-1] == asked[0]  # the bot learnt only that one
    left = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "article.group h2")]
    assert len(left) == 2 and asked[1] in left[0] and "giá vàng" in left[1]

    navigate(driver, By.CSS_SELECTOR, "article.group.noise button.off-topic")  # gold prices: off-topic
    assert "ngoài phạm vi" in driver.find_element(By.CSS_SELECTOR, "p.flash").text
    assert [h.text for h in driver.find_elements(By.CSS_SELECTOR, "article.group h2")] == [f"«{asked[1]}»"]
    driver.set_window_size(*PHONE)
    overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert driver.execute_script(overflow) <= 0, "the queue is wider than a phone"
    shot(driver, "unanswered-selection-phone")
