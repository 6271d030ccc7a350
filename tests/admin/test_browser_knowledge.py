"""The knowledge editor in a real browser, with two `laodong serve` processes on one PostgreSQL
database: an approver edits an answer on the first one's dashboard and publishes it; the second
process answers workers with the new text within 5 s; a rollback from the history page likewise."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.admin.accounts import Accounts
from bot.kbstore import ensure_published
from bot.store.store import Store
from scripts.bench_publish import ORIGINAL, QUESTION, ask, serve_env, start_serve, stop
from tests.admin.conftest import PASSWORD
from tests.admin.test_browser import browser, navigate, shot  # noqa: F401  (browser: the fixture)
from tests.pg import temporary_database
from tests.serving import free_port, wait_healthy

FOLLOW_SECONDS = 5.0
MARK = "(bản sửa trên trang cán bộ)"


async def start_two(db_url: str, tmp_path: Path) -> list[tuple[str, Any]]:
    servers = []
    async with aiohttp.ClientSession() as http:
        for i in range(2):
            port = free_port()
            proc = start_serve(port, serve_env(db_url, tmp_path / f"var{i}", LAODONG_SECRET_KEY="browser-kb-secret"))
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(http, url, proc)
            servers.append((url, proc))
    return servers


async def answer_of(url: str) -> str:
    async with aiohttp.ClientSession() as http:
        return await ask(http, url, QUESTION)


def until_answer(url: str, shown: bool, started: float) -> float:
    """Ask the second process (bounded 0.1 s steps) until its answer shows the mark (or no longer
    does); the seconds since `started`."""
    while time.monotonic() - started < FOLLOW_SECONDS:
        answer = asyncio.run(answer_of(url))
        if ORIGINAL in answer and (MARK in answer) == shown:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {'with' if shown else 'without'} the edit within {FOLLOW_SECONDS} s")


@pytest.mark.postgres
@pytest.mark.flaky(reruns=1)
def test_an_approver_publishes_and_rolls_back_and_another_process_follows(tmp_path: Path, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    asyncio.run(_run(tmp_path, browser, By))


async def _prepare(db_url: str) -> None:
    store = Store(db_url)
    try:
        await store.migrate()
        await ensure_published(store)
        await Accounts(store).create_user("duyet.vien", PASSWORD, "approver")
    finally:
        await store.close()


async def _run(tmp_path: Path, driver: Any, by: Any) -> None:
    async with temporary_database() as db_url:
        await _prepare(db_url)
        servers = await start_two(db_url, tmp_path)
        (first, _), (second, _) = servers
        try:
            assert MARK not in await answer_of(second)
            await asyncio.to_thread(_edit_and_rollback, driver, by, first, second)
        finally:
            for _url, proc in servers:
                stop(proc)


def _edit_and_rollback(driver: Any, by: Any, first: str, second: str) -> None:
    driver.get(first + "/admin/login")
    driver.find_element(by.NAME, "username").send_keys("duyet.vien")
    driver.find_element(by.NAME, "password").send_keys(PASSWORD)
    navigate(driver, by.CSS_SELECTOR, "main form button[type=submit]")
    driver.get(first + "/admin/knowledge?q=lao cai muc tieu")
    navigate(driver, by.PARTIAL_LINK_TEXT, "Lào Cai: mỗi năm đưa bao nhiêu người")
    answer = driver.find_element(by.ID, "kb-answer")
    edited = answer.get_attribute("value").replace(ORIGINAL, f"{ORIGINAL} {MARK}", 1)
    driver.execute_script("arguments[0].value = arguments[1]", answer, edited)
    driver.find_element(by.ID, "kb-why").send_keys("Thử sửa trên trang cán bộ")
    shot(driver, "knowledge-edit-laptop")
    started = time.monotonic()
    navigate(driver, by.ID, "kb-publish")
    assert "Đã xuất bản phiên bản kiến thức mới" in driver.find_element(by.CSS_SELECTOR, "p.flash").text
    published_in = until_answer(second, True, started)

    driver.get(first + "/admin/knowledge/history")
    shot(driver, "knowledge-history-laptop")
    rows = driver.find_elements(by.CSS_SELECTOR, "table.log tbody tr")
    assert len(rows) == 2 and "(đang dùng)" in rows[0].text and "Thử sửa trên trang cán bộ" in rows[0].text
    driver.find_element(by.CSS_SELECTOR, "#rollback-1").find_element(by.XPATH, "..").find_element(
        by.NAME, "why"
    ).send_keys("Quay lại bản gốc")
    driver.execute_script("window.confirm = function () { return true; }")  # the page asks "Quay lại …?"
    started = time.monotonic()
    navigate(driver, by.ID, "rollback-1")
    assert "Đã quay lại phiên bản cũ" in driver.find_element(by.CSS_SELECTOR, "p.flash").text
    rolled_in = until_answer(second, False, started)
    assert published_in < FOLLOW_SECONDS and rolled_in < FOLLOW_SECONDS
