"""An admin at work in Chromium: finds a partner, deactivates them, and the partner's next page load
fails (sent to sign in, where their password no longer works); an agency's Open311 key is shown once."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.web.support import DESKTOP, PHONE, bearer, sign_in, watch

pytestmark = pytest.mark.browser


def test_an_admin_deactivates_a_partner_whose_next_page_load_fails(live_server, browser, screens_dir):
    base = live_server
    name = "web-" + uuid.uuid4().hex[:8]
    r = httpx.post(f"{base}/api/v1/users", headers=bearer(base, "admin"), timeout=30, json={
        "username": name, "password": "partner-password-1", "display_name": "Pat Partner",
        "agency": "council-envhealth", "roles": ["partner"]})
    assert r.status_code == 201, r.text

    partner_ctx = browser.new_context(viewport=DESKTOP)
    admin_ctx = browser.new_context(viewport=PHONE)  # the admin does it from a phone
    try:
        partner = partner_ctx.new_page()
        sign_in(partner, base, name, password="partner-password-1")
        assert partner.is_visible("#followups, #empty")

        admin = admin_ctx.new_page()
        seen = watch(admin)
        sign_in(admin, base, "admin", area="/admin")
        admin.click("nav.subnav >> text=People")
        admin.fill("#q", name)
        admin.click("form.filters button")
        admin.click(f"tr[data-username='{name}'] a")
        admin.wait_for_selector("#deactivate")
        admin.screenshot(path=str(screens_dir / "admin-user-390.png"), full_page=True)
        admin.click("#deactivate")
        admin.wait_for_selector("#flash")
        assert "Deactivated" in admin.inner_text("#flash")
        assert admin.inner_text("#user-state") == "Deactivated"
        admin.reload()  # post-redirect-get: a reload shows the page again and changes nothing
        assert admin.inner_text("#user-state") == "Deactivated" and "Reactivate" in admin.inner_text("#active-form")

        # The partner's next page load: no inbox, the sign-in page; and signing in fails.
        partner.reload()
        partner.wait_for_url(f"{base}/partner/login?next=/partner")
        partner.fill("#username", name)
        partner.fill("#password", "partner-password-1")
        partner.click("#sign-in")
        partner.wait_for_selector("#login-error:has-text('Wrong username or password')")
        assert "/partner/login" in partner.url

        # An agency's Open311 key: issued from the page, shown once, never again.
        admin.goto(f"{base}/admin/agencies/fire-safety")
        admin.click("#issue-key")
        if admin.is_visible("#key-confirm"):
            admin.click("#key-confirm-yes")
        admin.wait_for_selector("#key-shown:not([hidden])")
        key = admin.inner_text("#key-value")
        assert key.startswith("d311_")
        ok = httpx.get(f"{base}/open311/v2/requests.json", params={"api_key": key}, timeout=30)
        assert ok.status_code == 200
        admin.reload()
        assert key not in admin.content()
        assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)
    finally:
        partner_ctx.close()
        admin_ctx.close()
