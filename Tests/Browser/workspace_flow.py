#!/usr/bin/env python3
"""The advisor's workspace in a real browser: headless Chromium (Debian's package) driven over the DevTools
protocol. Signs in, onboards a client, opens a paper account, proposes a rebalance, approves and executes it,
checks the positions and the equity chart, creates a goal, checks that a client login cannot open another
client's page, and saves a screenshot of every page. Fails on any console error or failed check.

Usage: workspace_flow.py BASE_URL SCREENSHOT_DIR   (environment: KEEL_BROWSER_ADVISOR_PASSWORD,
KEEL_BROWSER_ADMIN_PASSWORD; CHROMIUM, default chromium). Needs `websocket-client` (PyPI).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="keel-chromium-")
        self.process = subprocess.Popen(
            [os.environ.get("CHROMIUM", "chromium"), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", f"--remote-debugging-port={self.port}", f"--user-data-dir={self.profile}",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.events = []
        self.errors = []
        self.next_id = 0
        target = self._wait_for_page()
        self.socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def _wait_for_page(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as answer:
                    pages = [t for t in json.load(answer) if t.get("type") == "page"]
                if pages:
                    return pages[0]
            except OSError:
                pass
            time.sleep(0.3)
        raise Failure("chromium did not open its DevTools port")

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def _record(self, message):
        self.events.append(message)
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + json.dumps(params.get("args", []))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise Failure(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def _loads(self):
        return sum(1 for event in self.events if event.get("method") == "Page.loadEventFired")

    def _wait_for_load(self, before, timeout=30):
        deadline = time.time() + timeout
        self.socket.settimeout(1)
        try:
            while self._loads() <= before:
                if time.time() > deadline:
                    raise Failure("the page did not finish loading")
                try:
                    self._record(json.loads(self.socket.recv()))
                except websocket.WebSocketTimeoutException:
                    pass
        finally:
            self.socket.settimeout(60)

    def go(self, url):
        before = self._loads()
        self.call("Page.navigate", url=url)
        self._wait_for_load(before)

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise Failure(f"script failed: {expression[:200]}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def url(self):
        return self.js("location.pathname + location.search + location.hash")

    def text(self):
        return self.js("document.body.innerText")

    def submit(self, form, values=None, button=None):
        """Fills the form found by the CSS selector `form` as a person would (each field set, then its submit
        button clicked) and waits for the page that answers."""
        script = f"""(() => {{
            const form = document.querySelector({json.dumps(form)});
            if (!form) throw new Error('no form ' + {json.dumps(form)});
            // The server's checks are under test: the browser's own (type=email, required) would stop the post.
            form.noValidate = true;
            for (const [name, value] of Object.entries({json.dumps(values or {})})) {{
                const field = form.elements[name];
                if (!field) throw new Error('no field ' + name);
                if (field.type === 'checkbox') field.checked = value === true || value === 'true';
                else field.value = value;
            }}
            const buttons = [...form.querySelectorAll('button[type=submit]')];
            const chosen = {json.dumps(button)} ? buttons.find(b => b.textContent.trim() === {json.dumps(button)}) : buttons[0];
            if (!chosen) throw new Error('no submit button in ' + {json.dumps(form)});
            chosen.click();
            return true;
        }})()"""
        before = self._loads()
        self.js(script)
        self._wait_for_load(before)

    def screenshot(self, path, width=1280, mobile=False, max_height=1800):
        height = 900 if not mobile else 800
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        content = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": width, "height": min(max(content["height"], height), max_height), "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)["data"]
        with open(path, "wb") as file:
            import base64
            file.write(base64.b64decode(data))
        self.call("Emulation.clearDeviceMetricsOverride")


def api(base, method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def main():
    base, shots = sys.argv[1].rstrip("/"), sys.argv[2]
    advisor_password = os.environ["KEEL_BROWSER_ADVISOR_PASSWORD"]
    admin_password = os.environ["KEEL_BROWSER_ADMIN_PASSWORD"]
    os.makedirs(shots, exist_ok=True)
    browser = Browser()
    steps = []

    def step(name):
        steps.append(name)
        print(f"-- {name}", flush=True)

    def shot(name, **options):
        browser.screenshot(os.path.join(shots, name + ".png"), **options)

    try:
        step("an unsigned visitor is sent to sign-in, keeping the page asked for")
        browser.go(base + "/app/clients")
        check(browser.url().startswith("/app/sign-in"), f"not sent to sign-in: {browser.url()}")
        shot("01-sign-in")
        browser.submit("form[action='/app/sign-in']", {"user_id": "advisor", "password": advisor_password})
        check(browser.url() == "/app/clients", f"sign-in did not return to the page asked for: {browser.url()}")

        step("overview")
        browser.go(base + "/app")
        check("Assets under management" in browser.text(), "the overview shows no assets under management")
        shot("02-overview")
        shot("02-overview-phone", width=390, mobile=True)

        step("onboard a client")
        browser.go(base + "/app/clients")
        browser.submit("form[action='/app/clients'][method='post']", {"first_name": "Ada", "last_name": "Browser", "email": "not-an-email"})
        check("email" in browser.js("document.querySelector('#email-error').textContent"), "no error beside the email field")
        check(browser.js("document.querySelector('#first_name').value") == "Ada", "what was typed was lost")
        browser.submit("form[action='/app/clients'][method='post']",
                       {"first_name": "Ada", "last_name": "Browser", "email": "ada.browser@example.com", "risk_tolerance": "aggressive"})
        path = browser.url()
        check(path.startswith("/app/clients/"), f"onboarding did not open the client's page: {path}")
        client_id = int(path.split("/")[3].split("?")[0])
        shot("03-clients-onboarded")

        step("a client named with markup is shown as text and does not navigate")
        browser.go(base + "/app/clients")
        hostile = '"><meta http-equiv="refresh" content="0;url=https://evil.example/">'
        browser.submit("form[action='/app/clients'][method='post']",
                       {"first_name": hostile, "last_name": "Meta", "email": "meta.browser@example.com"})
        # An injected refresh of 0 s would leave at once; give it time to try before looking where the browser is.
        time.sleep(1.5)
        check(browser.js("location.origin") == base, f"the hostile name navigated the browser to {browser.js('location.href')}")
        check(browser.url().startswith("/app/clients/"), f"onboarding the hostile name did not open its page: {browser.url()}")
        check(hostile in browser.text(), "the hostile name is not shown as text")
        check(browser.js("document.querySelectorAll('meta[http-equiv]').length") == 0, "the page carries an injected meta tag")
        browser.go(f"{base}/app/clients/{client_id}")

        step("link a paper account")
        browser.submit(f"form[action='/app/clients/{client_id}/accounts']", {"nickname": "Browser paper", "starting_cash": "50000"})
        check("The paper account is open." in browser.text(), "the paper account was not opened")

        step("edit the preferences: the balanced portfolio, approval required")
        form = f"form[action='/app/clients/{client_id}/preferences']"
        browser.submit(form, {"max_weight": "1.5"})
        check("max_weight" in browser.js("document.querySelector('#pref-max_weight-error').textContent"), "no error beside max_weight")
        check(browser.js("document.querySelector('#pref-max_weight').value") == "1.5", "the refused value was not kept")
        balanced = browser.js("[...document.querySelector('#pref-portfolio_id').options].find(o => o.textContent === 'balanced').value")
        browser.submit(form, {"portfolio_id": balanced, "max_weight": "0.25", "require_approval": True})
        check("The preferences are saved." in browser.text(), "the preferences were not saved")

        step("propose a rebalance")
        browser.submit(f"form[action='/app/clients/{client_id}/rebalance']")
        check(browser.url().startswith("/app/approvals#batch-"), f"the proposal did not open the approval queue: {browser.url()}")
        batch = browser.url().split("#batch-")[1]
        check(batch in browser.text(), "the proposed batch is not in the queue")
        shot("04-approvals")

        step("approve it")
        browser.submit(f"form[action='/app/approvals/{batch}/approve']")
        check("approved" in browser.text(), "no confirmation of the approval")

        step("execute it and see the positions and the equity chart")
        browser.go(f"{base}/app/clients/{client_id}")
        browser.submit(f"form[action='/app/clients/{client_id}/batches/{batch}/execute']")
        check("The batch was executed" in browser.text(), f"execution did not report success: {browser.url()}")
        held = browser.js("""[...document.querySelectorAll('table')].find(t => t.innerText.startsWith('Symbol\\tQuantity'))
                             ?.querySelectorAll('tr').length ?? 0""")
        positions = browser.js("""[...[...document.querySelectorAll('table')].find(t => t.innerText.startsWith('Symbol\\tQuantity')).querySelectorAll('tr')]
                                  .slice(1).filter(r => parseFloat(r.cells[1].textContent) > 0).length""")
        check(held > 1 and positions > 0, f"no positions after the execution ({positions})")
        check(browser.js("!!document.querySelector('svg[aria-label=\"Value since inception\"] polyline, svg[aria-label=\"Value since inception\"] circle')"),
              "no equity chart on the client page")
        shot("05-client")
        shot("05-client-phone", width=390, mobile=True)

        step("create a goal")
        browser.go(base + "/app/goals")
        browser.js(f"""(() => {{ const s = document.querySelector('#user');
            s.value = [...s.options].find(o => o.textContent === 'Ada Browser').value; return s.value; }})()""")
        browser.submit("form[action='/app/goals'][method='get']")
        browser.submit("form[action='/app/goals'][method='post']", {"name": "Five a month", "goal_type": "monthly_return", "target_value": "5"})
        check("The goal was created." in browser.text() and "Five a month" in browser.text(), "the goal was not created")
        shot("06-goals")

        step("every other page")
        for name, page in [("07-models", "/app/models"), ("08-autonomous", "/app/autonomous"), ("09-data", "/app/data"),
                           ("10-backtests", "/app/backtests"), ("11-jobs", "/app/jobs"), ("12-alerts", "/app/alerts")]:
            browser.go(base + page)
            check(browser.url().startswith(page), f"{page} did not open: {browser.url()}")
            check("Traceback" not in browser.text() and "Fatal error" not in browser.text(), f"{page} shows an error")
            shot(name)

        step("a client login sees its own page only")
        admin = api(base, "POST", "/api/auth/login", body={"user_id": "admin", "password": admin_password})["access_token"]
        api(base, "POST", "/api/users", admin, {"user_id": "ada-login", "password": "ada-browser-password-1", "role": "client"})
        api(base, "PATCH", f"/api/clients/{client_id}", admin, {"user_id": "ada-login"})
        browser.submit("form[action='/app/sign-out']")
        check(browser.url().startswith("/app/sign-in"), "sign-out did not end on sign-in")
        browser.go(base + "/app/sign-in")
        browser.submit("form[action='/app/sign-in']", {"user_id": "ada-login", "password": "ada-browser-password-1"})
        check(browser.url() == f"/app/clients/{client_id}", f"a client login's home is not its own page: {browser.url()}")
        check(browser.js("[...document.querySelectorAll('nav a')].map(a => a.textContent).join(',')") == "My account,Goals",
              "a client login's navigation shows advisors' sections")
        others = [c["client_id"] for c in api(base, "GET", "/api/clients/", admin) if c["client_id"] != client_id]
        check(others, "no other client to try")
        before = len(browser.errors)
        browser.go(f"{base}/app/clients/{others[0]}")
        check("not yours to see" in browser.text(), "a client login opened another client's page")
        # That page answers 404 on purpose (the browser logs it); nothing else may have been logged meanwhile.
        expected = f"status of 404 (Not Found) {base}/app/clients/{others[0]}"
        check(all(error.strip().endswith(expected) for error in browser.errors[before:]), "unexpected console errors:\n" + "\n".join(browser.errors[before:]))
        del browser.errors[before:]
        browser.go(f"{base}/app/clients/{client_id}")
        check("Ada Browser" in browser.text(), "a client login could not open its own page")
        shot("13-client-login-own-page")

        check(not browser.errors, "console errors:\n" + "\n".join(browser.errors))
        print(f"browser test passed: {len(steps)} steps, screenshots in {shots}")
    except Failure as failure:
        try:
            shot("failure")
        except Exception:
            pass
        print(f"browser test FAILED at '{steps[-1] if steps else 'start'}': {failure}", file=sys.stderr)
        if browser.errors:
            print("console errors:\n" + "\n".join(browser.errors), file=sys.stderr)
        sys.exit(1)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
