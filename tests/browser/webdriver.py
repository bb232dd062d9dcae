"""A tiny W3C WebDriver client (urllib only) driving Debian's chromedriver + headless Chromium.

Only what the report tests need: navigate, run script, find/type/click, screenshot, logs. The
browser is started with networking features off and a fresh profile, and an in-page hook records
any alert() call.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.ci import require

CHROMIUM = os.environ.get("VMSCAN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VMSCAN_CHROMEDRIVER", "/usr/bin/chromedriver")
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--window-size=1400,1000",
]


def require_chromium() -> None:
    """Skip without Chromium locally; under CI=true a missing browser is a failure."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(p))]
    if missing:
        message = f"headless Chromium not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
        require(message)


STARTED_LINE = re.compile(rb"ChromeDriver was started successfully on port (\d+)")


def _listening_port(driver: subprocess.Popen[bytes], timeout: float) -> int:
    """The port chromedriver chose itself (--port=0), read from the line it prints once it listens."""
    assert driver.stdout is not None
    found: list[int] = []

    def read() -> None:
        assert driver.stdout is not None
        for line in driver.stdout:
            match = STARTED_LINE.search(line)
            if match and not found:
                found.append(int(match.group(1)))
                ready.set()
        ready.set()  # end of output: chromedriver exited

    ready = threading.Event()
    # Keeps draining the pipe afterwards, so chromedriver never blocks on a full one.
    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout) or not found:
        raise WebDriverError(f"chromedriver printed no listening port within {timeout:.0f} s")
    return found[0]


class WebDriverError(RuntimeError):
    pass


class Browser:
    def __init__(self, base: str, session_id: str) -> None:
        self.base = base
        self.session = session_id

    def _call(self, method: str, path: str, payload: Any = None, timeout: float = 120) -> Any:
        url = f"{self.base}/session/{self.session}{path}" if self.session else f"{self.base}{path}"
        return _request(method, url, payload, timeout)

    def get(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def wait_until(self, condition: str, timeout_s: float = 10) -> None:
        """Wait until the JavaScript expression ``condition`` is true in the page (checked every frame)."""
        met = self.run_async(f"""
            const done = arguments[arguments.length - 1];
            const deadline = performance.now() + {timeout_s * 1000:.0f};
            const check = () => {{
              if ({condition}) return done(true);
              if (performance.now() > deadline) return done(false);
              setTimeout(check, 16);
            }};
            check();""")
        if met is not True:
            raise WebDriverError(f"page condition not met within {timeout_s} s: {condition}")

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def run_async(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/async", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        found = self._call("POST", "/element", {"using": "css selector", "value": css})
        return str(found[ELEMENT_KEY])

    def type(self, css: str, text: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/click", {})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self._call("GET", "/screenshot")))

    def logs(self, kind: str) -> list[dict[str, Any]]:
        return list(self._call("POST", "/se/log", {"type": kind}))

    def cdp(self, command: str, params: dict[str, Any]) -> Any:
        return self._call("POST", "/goog/cdp/execute", {"cmd": command, "params": params})

    def requested_urls(self) -> list[str]:
        """URLs of every request the page made (from Chromium's performance log)."""
        urls = []
        for entry in self.logs("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls


def _request(method: str, url: str, payload: Any, timeout: float) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1 (our chromedriver)
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local chromedriver
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("value", {})
        raise WebDriverError(f"{method} {url}: {detail.get('error')}: {str(detail.get('message'))[:500]}") from None
    return body.get("value")


@contextlib.contextmanager
def chromium(workdir: Path) -> Iterator[Browser]:
    """A headless Chromium session; its profile lives in ``workdir`` (a test's temporary folder)."""
    require_chromium()
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir))
    driver = subprocess.Popen([CHROMEDRIVER, "--port=0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    session_id = ""
    base = ""
    try:
        base = f"http://127.0.0.1:{_listening_port(driver, 20)}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if _request("GET", f"{base}/status", None, 2).get("ready"):
                    break
            except (OSError, WebDriverError):
                pass
            if time.monotonic() > deadline:
                raise WebDriverError("chromedriver did not become ready")
            time.sleep(0.1)
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]},
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }
        created = _request("POST", f"{base}/session", {"capabilities": {"alwaysMatch": capabilities}}, 60)
        session_id = created["sessionId"]
        browser = Browser(base, session_id)
        # Runs before any page script (and outside the page's CSP): records alert() calls.
        browser.cdp("Page.addScriptToEvaluateOnNewDocument", {
            "source": "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"
        })
        yield browser
    finally:
        if session_id and base:
            with contextlib.suppress(OSError, WebDriverError):
                _request("DELETE", f"{base}/session/{session_id}", None, 30)
        driver.terminate()
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
        shutil.rmtree(profile, ignore_errors=True)
