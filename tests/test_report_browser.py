"""The sample report, English and French, as headless Chromium lays it out at 1280 px (issue 12,
item 8): nothing wider than the window (no sideways scrolling, also with the data behind every chart shown), no English words of the notes'
vocabulary in the French report, alt text on every image, every section (h2) in the contents.

Chromium runs a probe script in a copy of the page; the script writes what it measured into the
DOM as JSON, read back with ``--dump-dom`` (the approach of ``tools/check_report_html.py``).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from citizensfirst.report.pipeline import run_report, sample_spec_path
from citizensfirst.report.spec import StudySpec
from citizensfirst.tables import MAX_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from check_report_html import FLAGS, find_chromium

# the full sample report (about 35 s) and Chromium: outside the quick subset
pytestmark = pytest.mark.slow

WIDTH = 1280

#: English words and phrases of the notes, method and tables that must not reach the French report.
ENGLISH = (
    "unstratified", "PSUs", "calibrated", "Weighted base", "Unweighted base", "Estimated population",
    "respondents", "significant", "significance level", "degrees of freedom", "standard errors?",
    "confidence intervals?", "replicate weights", "Taylor linearisation", "use with caution",
    "too unreliable", "suppressed", "margins met", "design effect", "effective sample size",
    "True", "False", "from_wave", "to_wave", "ci_low", "ci_high", "Notes to the tables", "Symbols",
    "Letters", "Bases:", "no strata", "no clusters", "column percentages",
    "Statistics Canada", "Population estimates", "reference date", "non-binary", "Targets",
)

PROBE = """<script>
window.addEventListener('load', function () {
  var width = window.innerWidth, wide = [];
  function measure() {
    document.querySelectorAll('body *').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
        wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' +
                  Math.round(r.left) + '-' + Math.round(r.right));
      }
    });
  }
  measure();
  var height = document.documentElement.scrollHeight;
  // the data behind each chart too: open every <details>, measure again, read the text as laid out
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  measure();
  var out = {
    width: width,
    scrollWidth: document.documentElement.scrollWidth,
    height: height,
    wide: wide,
    text: document.body.innerText,
    footnotes: document.querySelectorAll('#tables ol.footnotes').length,
    tableNotes: document.querySelectorAll('#tables ul.notes').length,
    tableParts: Array.prototype.map.call(document.querySelectorAll('#tables table'), function (t) {
      return t.querySelector('tbody tr').children.length; }),
    headings: Array.prototype.map.call(document.querySelectorAll('h2'), function (h) {
      return {text: h.textContent.trim(), id: (h.closest('section') || h).id || ''}; }),
    contents: Array.prototype.map.call(document.querySelectorAll('nav a'), function (a) {
      return {text: a.textContent.trim(), href: a.getAttribute('href')}; }),
    images: Array.prototype.map.call(document.images, function (i) {
      return {alt: (i.getAttribute('alt') || '').trim(), loaded: i.complete && i.naturalWidth > 0}; })
  };
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def probe(page: Path, chromium: str, scratch: Path) -> dict[str, Any]:
    """What Chromium measures in ``page`` laid out in a 1280-px-wide window."""
    probed = scratch / f"probed-{page.name}"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={scratch / 'profile'}", "--hide-scrollbars",
         f"--window-size={WIDTH},900", "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S)
    assert found, f"Chromium did not run the probe: {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    chromium = find_chromium()
    assert chromium is not None, "Chromium is needed for this test (.ci/run installs it)"
    out = tmp_path_factory.mktemp("browser") / "report"
    run_report(StudySpec.from_toml(sample_spec_path()), out, progress=lambda m: None)
    scratch = tmp_path_factory.mktemp("chromium")
    return {lang: probe(out / name, chromium, scratch)
            for lang, name in (("en", "report.html"), ("fr", "report.fr.html"))}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_nothing_is_wider_than_a_1280_px_window(measured: dict[str, dict[str, Any]], language: str) -> None:
    page = measured[language]
    assert page["width"] == WIDTH
    assert page["wide"] == []
    assert page["scrollWidth"] <= WIDTH


def test_french_report_has_no_english_words_of_the_notes(measured: dict[str, dict[str, Any]]) -> None:
    french = measured["fr"]["text"]
    found = [w for w in ENGLISH if re.search(rf"(?<![\w-]){w}(?![\w-])", french)]
    assert found == []
    # the check can fail: the English report has these words
    english = measured["en"]["text"]
    assert all(re.search(rf"(?<![\w-]){w}(?![\w-])", english) for w in ("respondents", "Symbols", "Letters"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_image_has_alt_text_and_loads(measured: dict[str, dict[str, Any]], language: str) -> None:
    images = measured[language]["images"]
    assert len(images) >= 4
    assert [i for i in images if not i["alt"] or not i["loaded"]] == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_contents_list_every_section(measured: dict[str, dict[str, Any]], language: str) -> None:
    page = measured[language]
    contents = {(c["text"], c["href"]) for c in page["contents"]}
    sections = [h for h in page["headings"] if h["text"] not in ("Contents", "Table des matières")]
    assert len(sections) >= 5
    missing = [h["text"] for h in sections if (h["text"], f"#{h['id']}") not in contents]
    assert missing == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_tables_section_has_its_notes_once_and_narrow_parts(measured: dict[str, dict[str, Any]],
                                                           language: str) -> None:
    page = measured[language]
    assert page["footnotes"] == 1 and page["tableNotes"] == 0
    # the 14-column province table prints in parts: no table has more than the row label + 7 columns
    assert len(page["tableParts"]) >= 5
    assert max(page["tableParts"]) <= 1 + MAX_COLUMNS
