"""The server-drawn charts laid out by a real Chromium: no label or value runs past the drawing's edge."""

import pytest

from reports.charts import Bar, bar_chart

pytestmark = pytest.mark.browser

TEXT_OVERFLOW = """svg => {
    const width = svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")]
        .map(text => ({text: text.textContent, right: text.getBBox().x + text.getBBox().width}))
        .filter(box => box.right > width + 0.5)
        .map(box => `${box.text} ends at ${box.right.toFixed(0)} of ${width}`);
}"""


@pytest.mark.parametrize("width", [360, 300])
def test_long_values_and_labels_stay_inside_the_chart(browser, width):
    bars = [
        Bar("Công tác dân vận", 30, "30% · 10 cam kết"),
        Bar("Cải cách hành chính, chuyển đổi số, hạ tầng công nghệ thông tin", 100, "100% · 128 cam kết"),
        Bar("Y tế", 0, "0% · 3 cam kết"),
    ]
    chart = bar_chart(bars, title="Tiến độ", description="", id_prefix="chart", max_value=100, width=width)
    page = browser.new_page()
    try:
        page.set_content(f'<!doctype html><html lang="vi"><body><div style="width:640px">{chart}</div></body></html>')
        assert page.locator("svg").evaluate(TEXT_OVERFLOW) == []
    finally:
        page.close()
