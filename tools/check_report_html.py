"""Check a citizensfirst report.html: accessible, self-contained, and clean in headless Chromium.

    python tools/check_report_html.py report/report.html [--chromium /usr/bin/chromium]

Static checks (always): every <img> has non-empty alt text and an embedded PNG that decodes; no
<script>; no external resources. Browser checks (when Chromium is available): loading the page
logs no console errors, and every image is loaded (checked in a copy of the page with a probe
script that writes the result into the DOM, read back with --dump-dom). Exit 0 when all pass.
"""

from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.images.append(values)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            value = values.get(key) or ""
            if re.match(r"^(https?:)?//", value):
                self.external.append(value)


def static_problems(text: str) -> list[str]:
    """Problems found without a browser (empty list: none)."""
    collector = _Collector()
    collector.feed(text)
    problems = []
    if not collector.images:
        problems.append("the report has no images")
    for i, image in enumerate(collector.images):
        if not (image.get("alt") or "").strip():
            problems.append(f"image {i} has no alt text")
        src = image.get("src") or ""
        if not src.startswith("data:image/png;base64,"):
            problems.append(f"image {i} is not an embedded PNG")
        elif not base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC):
            problems.append(f"image {i} does not decode to a PNG")
    if collector.scripts:
        problems.append(f"{collector.scripts} script element(s)")
    problems += [f"external resource {url}" for url in collector.external]
    return problems


PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-probe', ok + '/' + imgs.length);
});
</script>"""


def browser_problems(path: Path, chromium: str) -> list[str]:
    """Console errors and images that failed to load, seen by headless Chromium."""
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        profile = Path(scratch) / "profile"
        run = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=5000", "--dump-dom", path.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
        console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
        problems += [f"console: {line}" for line in console]
        probed = Path(scratch) / "probed.html"
        probed.write_text(path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                          encoding="utf-8")
        run = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", probed.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
        found = re.search(r'data-probe="(\d+)/(\d+)"', run.stdout)
        if found is None:
            problems.append("Chromium did not finish loading the page")
        elif found.group(1) != found.group(2) or found.group(2) == "0":
            problems.append(f"only {found.group(1)} of {found.group(2)} images loaded")
    return problems


def find_chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    problems = static_problems(args.report.read_text(encoding="utf-8"))
    chromium = args.chromium or find_chromium()
    if chromium:
        problems += browser_problems(args.report, chromium)
    else:
        print("Chromium not found: browser checks not run", file=sys.stderr)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{args.report}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
