"""The web UI as a person uses it: sign in, trigger, watch, cancel, filter, /v1, isolation, CSRF."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, Request, expect

from tests.browser.conftest import screenshot, sign_in
from tests.integration.stack import ADMIN_KEY, OTHER_KEY, Stack

pytestmark = pytest.mark.integration

QUERY = "Quarterly revenue grew fifteen percent. New customers rose sharply. Average order value increased again."
INTEL = "The actor used 203.0.113.7 and evil-updates.example.com to drop payload.exe via PowerShell (T1059.001)."


async def test_unsigned_visitor_is_sent_to_sign_in_and_a_wrong_key_is_refused(page: Page) -> None:
    await page.goto("/dashboard")
    await expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)dashboard$"))
    await page.get_by_label("API key").fill("not-a-key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("That API key is not valid.")
    await screenshot(page, "sign-in")


async def test_sign_in_never_redirects_off_site(page: Page, stack: Stack) -> None:
    await page.goto("/login?next=//evil.example/steal")
    await page.get_by_label("API key").fill("test-key-tenant-a")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(stack.base_url + "/")


async def test_trigger_from_the_form_and_watch_progress_live_with_citations(page: Page) -> None:
    await sign_in(page)
    await screenshot(page, "pipelines")
    await page.get_by_role("row", name=re.compile("Document Summarizer")).get_by_role("link", name="Run").click()
    await page.get_by_label("Query").fill(QUERY)
    await screenshot(page, "trigger-form")
    await page.get_by_role("button", name="Trigger").click()
    await expect(page).to_have_url(re.compile(r"/executions/[A-Za-z0-9_-]+$"))
    # Live: a value strictly between the start and the end can only have come over the stream.
    midway = "() => { const p = document.getElementById('progress').value; return p > 0 && p < 100 }"
    await page.wait_for_function(midway)
    await expect(page.locator("#status")).to_have_text("succeeded", timeout=30_000)
    await expect(page.locator("#progress-message")).to_have_text("Complete")
    await expect(page.locator("#output")).to_contain_text("keyPoints")
    first = page.locator("details.citation-group").first
    await first.locator("summary").click()
    cited = await first.locator("blockquote").first.inner_text()
    assert cited and cited in QUERY
    await screenshot(page, "execution")
    await page.get_by_label("New set's name").fill("Sales summaries")
    await page.get_by_label("Example name").fill("Q4 trends")
    await page.get_by_role("button", name="Promote").click()
    await expect(page.locator("#promote-result")).to_have_text(re.compile(r"^Promoted as ex_\S+ in set exset_"))


async def test_the_live_page_resumes_by_last_event_id_when_its_stream_drops(page: Page) -> None:
    streams: list[Request] = []
    page.on("request", lambda request: streams.append(request) if "/stream" in request.url else None)
    await sign_in(page)
    await page.goto("/run/pl_document_summarizer")
    await page.get_by_label("Query").fill(QUERY)
    await page.get_by_role("button", name="Trigger").click()
    await expect(page.locator("#status")).to_have_text("succeeded", timeout=30_000)
    resumed = [(await request.all_headers()).get("last-event-id") for request in streams]
    assert any(resumed), f"no reconnect named its last event: {resumed}"


async def test_a_streaming_execution_shows_its_tokens(page: Page) -> None:
    await sign_in(page)
    await page.goto("/run/pl_streaming_summarizer")
    await page.get_by_label("Query").fill(QUERY)
    await page.get_by_role("button", name="Trigger").click()
    await expect(page.locator("#status")).to_have_text("succeeded", timeout=30_000)
    await expect(page.locator("#tokens")).to_contain_text("Quarterly revenue")


async def test_the_trigger_form_shows_the_apis_422_by_field(page: Page) -> None:
    await sign_in(page)
    await page.goto("/run/pl_document_summarizer")
    await page.locator("#field-query").evaluate("e => e.removeAttribute('required')")  # let the server judge
    await page.get_by_role("button", name="Trigger").click()
    await expect(page.locator("#field-query-error")).to_have_text("required")
    await expect(page.get_by_label("Query")).to_have_attribute("aria-invalid", "true")


async def test_upload_a_file_from_the_trigger_form_and_resolve_its_citations(page: Page) -> None:
    await sign_in(page)
    await page.goto("/run/pl_document_summarizer")
    text = b"Sales in the fourth quarter rose by a fifth. Churn fell to a record low. Margins widened in every region."
    await page.set_input_files("#upload", files=[{"name": "q4.txt", "mimeType": "text/plain", "buffer": text}])
    await expect(page.locator("#upload-status")).to_contain_text("Uploaded q4.txt")
    assert (await page.locator("#files").input_value()).startswith("file_")
    await page.get_by_label("Query").fill("What happened to sales?")
    await page.get_by_role("button", name="Trigger").click()
    await expect(page.locator("#status")).to_have_text("succeeded", timeout=30_000)
    group = page.locator("details.citation-group").first
    await group.locator("summary").click()
    await expect(group.locator("li.resolved p").first).to_contain_text("q4.txt, page 1")
    cited = await group.locator("blockquote").first.inner_text()
    assert cited and cited in text.decode()


async def test_cancel_a_running_execution(page: Page) -> None:
    await sign_in(page)
    await page.goto("/run/pl_code_agent")
    await page.get_by_label("Query").fill("count the words in this sentence please")
    await page.get_by_role("button", name="Trigger").click()
    await expect(page.locator("#status")).to_have_text(re.compile("pending|running"))
    await page.get_by_role("button", name="Cancel execution").click()
    await expect(page.locator("#status")).to_have_text("cancelled", timeout=15_000)
    await expect(page.get_by_role("button", name="Cancel execution")).to_have_count(0)


async def test_history_filters_by_pipeline_and_status(page: Page, stack: Stack) -> None:
    ids = {(await stack.trigger("pl_no_op"))["executionId"] for _ in range(3)}
    for execution_id in ids:
        await stack.wait_terminal(execution_id)
    await sign_in(page)
    await page.goto("/history")
    await page.get_by_label("Pipeline").select_option("pl_no_op")
    await page.get_by_label("Status").select_option("succeeded")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"pipelineId=pl_no_op&status=succeeded"))
    badges = page.locator("#history tbody .badge")
    await expect(badges).to_have_count(len(ids))
    assert set(await badges.all_inner_texts()) == {"succeeded"}
    await screenshot(page, "history")
    await page.get_by_label("Status").select_option("failed")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator("#history tbody")).to_have_text("No executions.")


async def test_v1_submit_turns_succeeded_with_rules_and_ttps_and_shows_on_the_dashboard(page: Page) -> None:
    await sign_in(page)
    await page.goto("/submit")
    await page.get_by_label("Threat-intelligence text").fill(INTEL)
    await screenshot(page, "v1-submit")
    await page.get_by_role("button", name="Generate rules").click()
    await expect(page).to_have_url(re.compile(r"/status/arn:"))
    await expect(page.locator("#status")).to_have_text("SUCCEEDED", timeout=30_000)
    await expect(page.locator("#rules pre.yaml").first).to_contain_text("detection:")
    await expect(page.locator("#ttps")).to_contain_text("T1059")
    await screenshot(page, "v1-status")
    arn = page.url.rsplit("/status/", 1)[1]
    await page.goto("/status")
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    row = page.locator(f'#dashboard a[href="/status/{arn}"]').locator("xpath=ancestor::tr")
    await expect(row.locator(".badge")).to_have_text("SUCCEEDED")
    await screenshot(page, "v1-dashboard")


async def test_another_tenants_execution_page_is_a_404(page: Page, stack: Stack) -> None:
    theirs = (await stack.trigger("pl_no_op", key=OTHER_KEY))["executionId"]
    await sign_in(page)
    response = await page.goto(f"/executions/{theirs}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


async def test_sign_out_ends_the_session_for_pages_and_the_api(page: Page, context: BrowserContext) -> None:
    await sign_in(page)
    assert (await context.request.get("/pipelines")).status == 200  # the cookie stands for the key
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    assert (await context.request.get("/pipelines")).status == 401


async def test_a_post_without_the_csrf_token_is_refused(page: Page) -> None:
    await sign_in(page)
    script = """async ([withToken]) => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const headers = {"Content-Type": "application/json", ...(withToken ? {"X-CSRF-Token": token} : {})};
      const body = JSON.stringify({input: {dataInputs: {}}});
      const api = await fetch("/pipelines/pl_no_op/trigger", {method: "POST", headers, body});
      const form = await fetch("/run/pl_no_op", {method: "POST", body: new URLSearchParams({files: ""}),
                                                 redirect: "manual"});
      return [api.status, form.status];
    }"""
    assert await page.evaluate(script, [False]) == [403, 403]
    assert (await page.evaluate(script, [True]))[0] == 201  # the same call with the token goes through


async def test_the_keyboard_alone_signs_in_with_a_visible_focus(page: Page) -> None:
    await page.goto("/login")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "api-key":
            break
    focused = page.locator("#api-key")
    await expect(focused).to_be_focused()
    assert await focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    await page.keyboard.type("test-key-tenant-a")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pipelines")


async def test_pages_fit_a_phones_width(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.set_viewport_size({"width": 390, "height": 844})
    await sign_in(page)
    for path in ("/", "/history", "/dashboard", "/run/pl_document_summarizer", "/submit"):
        await page.goto(path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 390px"
    await page.goto("/")
    await screenshot(page, "phone-pipelines")


async def test_docs_show_request_and_response_shapes(page: Page) -> None:
    await page.goto("/docs")
    trigger = page.locator("#post--pipelines-pipelineId-trigger")
    await expect(trigger.get_by_role("heading", level=4, name="Request body (optional)")).to_be_visible()
    await expect(trigger.locator("a[href='#schema-TriggerRequest']")).to_be_visible()
    invalid = trigger.locator("details", has_text="422 Invalid input")
    await invalid.locator("summary").click()
    await expect(invalid.locator("a[href='#schema-ErrorBody']")).to_be_visible()
    await expect(page.locator("#schema-ExecutionInput")).to_contain_text("dataInputs")
    await trigger.scroll_into_view_if_needed()
    await screenshot(page, "docs", full_page=False)  # the whole document is some 30,000 px tall


async def test_revoking_the_key_ends_its_browser_session(page: Page, stack: Stack) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with stack.http.post(f"{stack.base_url}/admin/tenants", json={"name": "Short-lived"}, headers=admin) as resp:
        assert resp.status == 201, await resp.text()
        issued = (await resp.json())["apiKey"]
    await sign_in(page, issued["key"])
    async with stack.http.delete(f"{stack.base_url}/admin/keys/{issued['keyId']}", headers=admin) as resp:
        assert resp.status == 204, await resp.text()
    await page.goto("/history")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
