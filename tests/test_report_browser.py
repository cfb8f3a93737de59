"""The HTML report in a real browser: headless Chromium renders it to a PNG and dumps the DOM.

Debian's `chromium` package is installed by the fixture where it is missing; the tests
skip (saying why) only when that is impossible. With COST_UPDATE_GOLDEN=1 the screenshot
is also saved as docs/report-screenshot.png, the picture the README shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from peers import find_peer

from calculus.check import check_source
from calculus.report import write_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SPEED_PRIOR = "proofs/speed_prior.cost"
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"
WIDTH, HEIGHT = 1200, 2000

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]

# Appended to a copy of the page only: measures what the browser laid out.
PROBE = """<script>
const widths = (selector) => Array.from(document.querySelectorAll(selector),
  (e) => Math.round(e.getBoundingClientRect().width));
document.body.setAttribute("data-math-widths", widths("math").join(" "));
document.body.setAttribute("data-svg-widths", widths("figure svg").join(" "));
</script>"""


@pytest.fixture(scope="session")
def chromium() -> str:
    found, how = find_peer("chromium", "chromium", "chromium-browser")
    if found is None:
        pytest.skip(how)
    return found


def _run(chromium: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (ROOT / SPEED_PRIOR).exists():
        pytest.skip(f"{SPEED_PRIOR} is not there")
    result = check_source((ROOT / SPEED_PRIOR).read_text(encoding="utf-8"), SPEED_PRIOR)
    output = tmp_path_factory.mktemp("report") / "speed_prior.html"
    write_report(result, output)
    return output


def test_report_renders_to_a_picture(chromium: str, page: Path, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    picture = tmp_path / "report.png"
    completed = _run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={picture}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.as_uri(),
    )
    assert picture.exists(), completed.stderr[-2000:]
    with Image.open(picture) as image:
        assert image.size == (WIDTH, HEIGHT)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 200, (
            "a rendered page has text, badges and math, not a few flat colours"
        )
        white = sum(count for count, colour in colours if min(colour) > 245)
        assert white < 0.97 * WIDTH * HEIGHT, "the page is (nearly) blank"
        assert ImageStat.Stat(rgb.convert("L")).stddev[0] > 20
        # The green of a `proved` badge is on screen.
        assert any(
            count > 200
            and abs(colour[0] - 0x1A) < 12
            and abs(colour[1] - 0x7F) < 12
            and abs(colour[2] - 0x37) < 12
            for count, colour in colours
        )
    if os.environ.get("COST_UPDATE_GOLDEN"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(picture, SCREENSHOT)


def test_math_and_plots_are_laid_out(chromium: str, page: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "\n</body>"), encoding="utf-8"
    )
    completed = _run(chromium, tmp_path / "profile", "--dump-dom", probed.as_uri())
    dom = completed.stdout
    assert "<math" in dom, completed.stderr[-2000:]
    assert dom.count("<svg") == 2  # the symbolic ranges chart and the scenario plot
    assert dom.count('<mtext class="term">') > 50
    math_widths = [int(w) for w in re.search(r'data-math-widths="([\d ]*)"', dom).group(1).split()]
    svg_widths = [int(w) for w in re.search(r'data-svg-widths="([\d ]*)"', dom).group(1).split()]
    assert len(math_widths) > 50 and min(math_widths) > 0, "every formula takes up room"
    assert len(svg_widths) == 2 and min(svg_widths) > 300
