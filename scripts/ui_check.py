#!/usr/bin/env python3
"""Browser check of mamori's UI in headless Chromium (Playwright driving the
system's /usr/bin/chromium): a new administrator's first steps, the asset list
with its htmx filter, an edit, the language switch. Any console error (a
Content-Security-Policy violation shows up as one) fails the check.

usage: ui_check.py BASE_URL ONE_TIME_PASSWORD
"""
import base64
import hashlib
import hmac
import struct
import os
import sys
import time

from playwright.sync_api import sync_playwright

BASE, OTP = sys.argv[1], sys.argv[2]
NEW_PASSWORD = "新しい合言葉-Sora-2026"
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail and not ok else ""))


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )
    page = browser.new_page(locale="ja-JP")
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    response = page.goto(BASE + "/login")
    check("login page in Japanese", "ログイン" in page.title())
    csp = response.headers.get("content-security-policy", "")
    check("strict CSP", "script-src 'self'" in csp and "unsafe-inline" not in csp, csp)

    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", OTP)
    page.click("button.primary")
    check("one-time password must be changed", page.url.endswith("/account/password"), page.url)
    page.fill("input[name=current]", OTP)
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("button.primary")
    check("then TOTP enrolment is required", page.url.endswith("/account/totp"), page.url)
    page.goto(BASE + "/")
    check("the app stays closed until enrolment", page.url.endswith("/account/totp"), page.url)
    secret = page.inner_text("code.secret").strip()
    page.fill("input[name=code]", totp(secret))
    page.click("button.primary")
    check("ten recovery codes shown", page.locator("ul.codes li").count() == 10)

    page.goto(BASE + "/")
    check("dashboard with register tiles", page.locator(".tile").count() >= 4)

    page.goto(BASE + "/r/assets")
    before = page.locator("table.list tbody tr").count()
    page.select_option("select[name=classification]", "secret")
    page.wait_for_url("**classification=secret**")
    page.wait_for_load_state("networkidle")
    cells = page.locator("table.list tbody tr td:nth-child(4)").all_inner_texts()
    check("htmx filter narrows the list", 0 < len(cells) < before + 1 and all(c == "極秘" for c in cells), str(cells[:3]))

    page.click("table.list tbody tr td a")
    page.fill("input[name=location]", "羽田第2データセンター")
    page.click("form.record button.primary")
    page.wait_for_load_state("networkidle")
    check("edit saved", page.input_value("input[name=location]") == "羽田第2データセンター")

    page.click("form.lang button[value=en]")
    page.goto(BASE + "/r/people?sort=-family_name")
    check("English after the switch", page.locator("nav.side").inner_text().find("Information assets") >= 0)
    check("people list sorted and paged", page.locator("table.list tbody tr").count() == 50
          and page.locator("a.button", has_text="Next page").count() == 1)
    page.goto(BASE + "/rules?q=stuffing")
    rows = page.locator("table.list tbody tr")
    check("rules page lists mamori's stuffing rules with hit counts",
          rows.count() >= 1 and page.locator("th", has_text="Hits").count() == 1,
          page.locator("main").inner_text()[:300])

    page.goto(BASE + "/r/alerts?level=high")
    levels = page.locator("table.list tbody tr td:nth-child(3)").all_inner_texts()
    titles = page.locator("table.list tbody tr td:nth-child(4)").all_inner_texts()
    check("demo alerts from real detection, filtered by level",
          levels and all(l == "High" for l in levels) and any("Credential stuffing" in t for t in titles),
          str(list(zip(levels, titles))[:3]))
    page.click("table.list tbody tr td a")
    check("what detection set is read-only", page.locator("input[name=count]").is_disabled())
    page.select_option("select[name=status]", "acknowledged")
    page.click("form.record button.primary")
    page.wait_for_load_state("networkidle")
    check("triage saved; the lifecycle offers only allowed moves",
          page.input_value("select[name=status]") == "acknowledged"
          and page.locator("select[name=status] option[value=new]").count() == 0,
          page.locator("main").inner_text()[:300])

    page.goto(BASE + "/risks/heatmap")
    cells = page.locator("svg a[data-cell]")
    check("risk heat maps drawn, inherent beside residual", page.locator("svg").count() == 2 and cells.count() == 50)
    page.screenshot(path=os.environ.get("UI_SHOTS", "/tmp") + "/heatmap.png", full_page=True)
    page.locator('svg a[data-cell="4-5"]').first.click()
    page.wait_for_load_state("networkidle")
    check("a heat-map cell opens the risks it counts",
          "inherent_likelihood=4" in page.url and "標的型メール" in page.locator("main").inner_text(),
          page.url)
    page.click("table.list tbody tr td a")
    page.wait_for_load_state("networkidle")
    check("a risk's page lists the controls that treat it",
          page.locator("section.links tbody tr").count() == 2, page.locator("main").inner_text()[-400:])
    page.select_option("section.links select[name=register]", "controls")
    page.fill("section.links input[name=record]", "CTL-000001")
    page.click("section.links form[action$='/links'] button")
    page.wait_for_load_state("networkidle")
    check("a control links from the risk's page",
          page.locator("section.links tbody tr").count() == 3
          and "CTL-000001" in page.locator("section.links").inner_text(),
          page.locator("main").inner_text()[-400:])
    page.goto(BASE + "/risks/heatmap")
    check("the group roll-up sits below the maps, per company and level",
          page.locator("table.rollup tbody tr").count() >= 2)

    page.goto(BASE + "/frameworks")
    iso = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "../../shared/data/ciso-assistant-library/iso27001-2022.yaml")
    page.set_input_files("input[name=file]", iso)
    page.click("form.record button.primary")
    page.wait_for_load_state("networkidle")
    check("mamori's three libraries are there, and a CISO Assistant library uploads beside them",
          page.locator("table.list tbody tr").count() == 4, page.locator("main").inner_text()[:300])
    page.click("table.list tbody tr td a:has-text('International standard')")
    check("the framework's requirement tree is shown",
          page.locator("ul.tree li").count() == 140 and "A.5.1" in page.locator("ul.tree").inner_text())

    page.click("form[action$='/adopt'] button.primary")
    page.wait_for_load_state("networkidle")
    statuses = page.locator("table.list tbody tr td:nth-child(4)").all_inner_texts()
    check("adopting a framework lists its requirements to assess",
          "requirement_assessments" in page.url and statuses and all(s == "Not started" for s in statuses),
          page.url + " " + str(statuses[:3]))

    page.click("table.list tbody tr td a")
    evidence_file = os.path.join(os.environ.get("UI_SHOTS", "/tmp"), "証跡-backup.pdf")
    with open(evidence_file, "wb") as f:
        f.write(b"%PDF-1.7\n% mamori ui check\n")
    page.set_input_files("section.evidence input[name=file]", evidence_file)
    page.click("section.evidence button")
    page.wait_for_load_state("networkidle")
    check("evidence attaches on the record page with its SHA-256",
          "証跡-backup.pdf" in page.locator("section.evidence").inner_text()
          and page.locator("section.evidence code").count() == 1,
          page.locator("main").inner_text()[-300:])

    page.goto(BASE + "/")
    page.screenshot(path=os.environ.get("UI_SHOTS", "/tmp") + "/dashboard.png", full_page=True)
    check("the dashboard shows implementation by framework, top risks and what is overdue",
          page.locator("td[data-percent]").count() >= 1 and page.locator(".tile.alert").count() >= 1
          and "標的型メール" in page.locator("main").inner_text())

    page.goto(BASE + "/r/alerts?level=high")
    page.click("table.list tbody tr td a")
    page.wait_for_load_state("networkidle")
    page.click("section.escalate button.primary")
    page.wait_for_load_state("networkidle")
    check("an alert escalates into a new incident with its timeline",
          "/r/incidents/" in page.url and page.locator("section.timeline li").count() >= 1
          and page.locator("section.links tbody tr").count() == 1,
          page.url + " " + page.locator("main").inner_text()[:300])

    page.goto(BASE + "/r/incidents?category=data_leak")
    page.click("table.list tbody tr td a")
    page.wait_for_load_state("networkidle")
    check("an incident lists its playbook's tasks and its timeline",
          page.locator("section.referred li").count() >= 5 and page.locator("section.timeline li").count() >= 1,
          page.locator("main").inner_text()[:400])
    page.goto(BASE + "/public/notices")
    check("published notices are public",
          "マイレージ会員サイトへの不正ログインについて" in page.locator("main").inner_text())

    page.goto(BASE + "/r/duty_shifts")
    check("the on-duty roster lists this week's shifts",
          page.locator("table.list tbody tr").count() >= 15,
          page.locator("main").inner_text()[:300])
    page.goto(BASE + "/r/escalation_rules")
    page.click("table.list tbody tr td a")
    page.wait_for_load_state("networkidle")
    check("an escalation rule opens with its event and severity choices",
          page.locator("select[name=event] option").count() >= 1
          and page.locator("select[name=min_severity] option").count() >= 4,
          page.locator("main").inner_text()[:300])
    page.goto(BASE + "/notifications")
    check("the notifications page says e-mail is off when SMTP is not set",
          page.locator("p.notice").count() == 1,
          page.locator("main").inner_text()[:300])

    page.goto(BASE + "/campaigns")
    page.fill("input[name=name]", "2026年度 ISMS 自己評価")
    page.select_option("select[name=framework]", index=0)
    page.fill("input[name=due_date]", "2027-01-31")
    page.click("form.record button.primary")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=os.environ.get("UI_SHOTS", "/tmp") + "/campaign.png", full_page=True)
    check("a campaign launches across the companies with progress per company",
          "/campaigns/" in page.url and page.locator("td[data-progress]").count() >= 5,
          page.url + " " + page.locator("main").inner_text()[:300])

    check("no console errors (CSP violations, missing files)", not console_errors, "; ".join(console_errors))
    browser.close()

passed = sum(ok for _, ok in results)
print(f"ui-check: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
