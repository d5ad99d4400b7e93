"""The report page in Chromium: the wait is said while the report is made, and the file is saved when it comes."""
import re

from chromium import expect, new_page, sign_in


def test_the_report_page_says_it_is_making_the_report_and_saves_it(browser, live_demo):
    page = new_page(browser, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_demo, "center", "/report")
    page.check("input[name=format][value=xlsx]")
    page.check("input[name=period][value=month]")
    button, status = page.locator("form.report-form button[type=submit]"), page.locator("#report-status")
    # the request held until the page has said it is waiting and the button cannot start a second report
    held = []
    page.route("**/report/download?*", lambda route: held.append(route))
    with page.expect_request("**/report/download?*"):
        button.click()
    expect(status).to_contain_text("正在生成报告")
    expect(button).to_be_disabled()
    with page.expect_download() as download:
        held[0].continue_()
    page.unroute("**/report/download?*")
    assert re.search(r"\.xlsx$", download.value.suggested_filename)
    expect(status).to_contain_text("报告已生成")
    expect(button).to_be_enabled()
    assert errors == []
    page.close()
