"""R9 one-map in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is opened from a file:// URL, as a planner opens it from a USB stick. Every request
is intercepted: tiles are answered with a blank tile (or refused, to play offline) and
recorded; anything else the page asks for fails the test. Run once: the demo (session
fixture, in a temporary folder) and a hand-made run whose names carry HTML injections.

Needs /usr/bin/chromium (`apt-get install chromium fonts-noto-cjk`; `.ci/run` does it).
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gis_planner.render import onemap as maps
from gis_planner.render.onemap import basemaps

from .conftest import DEMO, REPO
from .test_map import SCRIPT_NAME, XSS_NAME, write_hand_made_layers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = REPO / "outputs" / "map_screenshot.png"  # desktop, 1600 × 1000 (README)
PHONE_SCREENSHOT = REPO / "outputs" / "map_phone.png"  # phone, 390 × 844 (README)
PROPOSALS_SCREENSHOT = REPO / "outputs" / "map_proposals.png"
#: Committed screenshots stay small (the README shows them; the repository keeps them).
SCREENSHOT_MAX_BYTES = 300_000


def screenshot_path(committed: Path, tmp: Path) -> Path:
    """Where to save a screenshot: the committed one under outputs/ when it is missing or
    UPDATE_SCREENSHOTS=1 is set (so a test run leaves the checkout clean), else ``tmp``."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not committed.exists():
        committed.parent.mkdir(exist_ok=True)
        return committed
    return tmp / committed.name


def save_screenshot(opened: MapPage, committed: Path, tmp: Path) -> Path:
    """A screenshot of the page (:func:`screenshot_path`); a committed one is reduced to 256
    colours (Pillow) so that it stays under :data:`SCREENSHOT_MAX_BYTES`."""
    target = screenshot_path(committed, tmp)
    opened.page.screenshot(path=str(target))  # type: ignore[attr-defined]
    if target == committed:
        try:
            from PIL import Image
        except ImportError:  # Pillow comes with the notebooks extra
            return target
        with Image.open(target) as image:
            reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        reduced.save(target, optimize=True)
    return target


VIEWPORT = {"width": 1400, "height": 900}
#: The two screens of the issue: a phone and a desktop monitor.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1600, "height": 1000}
TIMEOUT_MS = 20_000
TILE_HOSTS = {host for hosts in basemaps.TILE_HOSTS.values() for host in hosts}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=("install Debian's chromium (apt-get install chromium) to run the browser tests"),
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason=("the playwright Python package is missing: pip install -e '.[test]'"),
)


def _blank_tile() -> bytes:
    """A 256 × 256 transparent PNG, built in code (no file, no network)."""
    row = b"\x00" + bytes((255, 255, 255, 0)) * 256
    raw = zlib.compress(row * 256, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 256, 256, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


BLANK_TILE = _blank_tile()


# --------------------------------------------------------------------------- runs


def _cli(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gis_planner.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"gis-planner {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout}\n{proc.stderr}"
        )


@dataclass
class Run:
    folder: Path
    is_demo: bool

    @property
    def map_html(self) -> Path:
        return self.folder / "map.html"

    def geojson(self, name: str) -> dict:
        return json.loads((self.folder / f"{name}.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Run:
    """`gis-planner demo` once per session (hand-made layers if the demo is not there)."""
    out = tmp_path_factory.mktemp("demo_run")
    if any(DEMO.glob("communities.*")):
        _cli("demo", "--out", str(out))
        return Run(out, is_demo=True)
    layers = write_hand_made_layers(tmp_path_factory.mktemp("demo_layers") / "layers")
    _cli("run", str(layers), "--out", str(out))
    return Run(out, is_demo=False)


@pytest.fixture(scope="session")
def injected_run(tmp_path_factory) -> Run:
    """A run whose estate and premises names are HTML/script injections."""
    layers = write_hand_made_layers(tmp_path_factory.mktemp("xss_layers") / "layers")
    out = tmp_path_factory.mktemp("xss_run")
    _cli("run", str(layers), "--out", str(out))
    return Run(out, is_demo=False)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class MapPage:
    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    tile_failures: list[str] = field(default_factory=list)

    def evaluate(self, script: str, arg: object = None) -> object:
        return self.page.evaluate(script, arg)  # type: ignore[attr-defined]


@pytest.fixture
def open_map(browser):
    contexts = []

    def _open(path: Path, *, offline: bool = False, viewport: dict | None = None) -> MapPage:
        phone = viewport is not None and viewport["width"] < 640
        context = browser.new_context(
            viewport=viewport or VIEWPORT,
            service_workers="block",
            has_touch=phone,
            is_mobile=phone,
        )
        contexts.append(context)
        page = context.new_page()
        opened = MapPage(page)

        def on_console(message) -> None:
            if message.type != "error":
                return
            host = urlsplit(message.location.get("url", "")).hostname or ""
            if offline and host in TILE_HOSTS:
                opened.tile_failures.append(message.text)  # a refused tile: expected
            else:
                opened.errors.append(f"console: {message.text} ({message.location})")

        def on_dialog(dialog) -> None:
            opened.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_route(route) -> None:
            url = route.request.url
            opened.requests.append(url)
            if url.startswith("file://"):
                route.continue_()
            elif urlsplit(url).hostname in TILE_HOSTS and not offline:
                route.fulfill(status=200, body=BLANK_TILE, content_type="image/png")
            else:
                route.abort("internetdisconnected")

        page.on("console", on_console)
        page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))
        page.on("dialog", on_dialog)
        context.route("**/*", on_route)
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.__mapReady === true", timeout=TIMEOUT_MS)
        return opened

    yield _open
    for context in contexts:
        context.close()


def _layer_names(opened: MapPage) -> dict[str, list[str]]:
    return opened.evaluate("""() => ({
        base: Array.from(document.querySelectorAll('.leaflet-control-layers-base label'))
                   .map(l => l.textContent.trim()),
        overlays: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
                   .map(l => l.textContent.trim())})""")  # type: ignore[return-value]


def _only(opened: MapPage, overlay_name: str) -> None:
    """Switch off every overlay but one, by clicking the layer control as a planner does."""
    labels = opened.page.locator(".leaflet-control-layers-overlays label")  # type: ignore
    for i in range(labels.count()):
        item = labels.nth(i)
        box = item.locator("input")
        if (item.inner_text().strip() == overlay_name) != box.is_checked():
            box.click()


def _close_popup(opened: MapPage) -> None:
    """Close the open popup and wait until it has left the page: Leaflet fades it out, and a
    popup read (or a screenshot taken) before then would still find the old one."""
    opened.evaluate("() => { GP.map.closePopup(); }")  # (the map: too deep to return)
    opened.page.wait_for_selector(".leaflet-popup", state="detached")  # type: ignore[attr-defined]


def _popup_values(opened: MapPage) -> dict[str, object]:
    opened.page.wait_for_selector(
        ".leaflet-popup-content .gp-popup",  # type: ignore
        timeout=TIMEOUT_MS,
    )
    return opened.evaluate("""() => {
        const box = document.querySelector('.leaflet-popup-content .gp-popup');
        const fields = {};
        box.querySelectorAll('[data-field]').forEach(e => {  // "a b": a fixed range, a = b
            e.getAttribute('data-field').split(' ').forEach(f => { fields[f] = e.textContent; });
        });
        return {title: box.querySelector('.gp-title').textContent, fields: fields,
                html: box.innerHTML};
    }""")  # type: ignore[return-value]


def _number(text: object) -> float:
    return float(str(text).replace(",", ""))


# --------------------------------------------------------------------------- tests


def test_R9_demo_map_loads_with_tile_requests_only_and_no_errors(open_map, demo_run):
    opened = open_map(demo_run.map_html)
    assert opened.errors == []
    others = [
        u
        for u in opened.requests
        if not u.startswith("file://") and urlsplit(u).hostname not in TILE_HOSTS
    ]
    assert others == []
    assert [u for u in opened.requests if u.startswith("file://")] == [
        demo_run.map_html.resolve().as_uri()
    ]
    assert any(urlsplit(u).hostname == "tile.openstreetmap.org" for u in opened.requests)
    ready_ms = opened.evaluate("window.__mapReadyMs")
    assert 0 < ready_ms < 15_000  # type: ignore[operator]


def test_R9_layer_control_lists_every_layer(open_map, demo_run):
    opened = open_map(demo_run.map_html)
    data = opened.evaluate("GP.data.layers")
    names = _layer_names(opened)
    assert names["overlays"] == [layer["name"] for layer in data.values()]  # type: ignore
    expected = {
        "communities",
        "estates",
        "premises",
        "reach",
        "outside",
        "roads",
        "parcels",
        "outline",
    }
    assert expected <= set(data)  # type: ignore[arg-type]
    assert names["base"][0] == "OpenStreetMap 底图" and names["base"][-1] == "无底图"
    # every overlay, switched on, has features drawn (those off on opening are built when
    # switched on, and markers are put in the page near the view: all are, on the demo)
    overlays = opened.page.locator(".leaflet-control-layers-overlays input")  # type: ignore
    for i in range(overlays.count()):
        if not overlays.nth(i).is_checked():
            overlays.nth(i).click()
    counts = opened.evaluate("""() => Object.fromEntries(Object.entries(GP.layers)
        .map(([k, g]) => [k, GP.map.hasLayer(g) && g.getLayers().length]))""")
    assert all(n > 0 for n in counts.values()), counts  # type: ignore[union-attr]


def test_R9_clicking_a_community_shows_its_figures_from_communities_geojson(open_map, demo_run):
    features = demo_run.geojson("communities")["features"]
    props = next(
        (f["properties"] for f in features if f["properties"]["premises_status"] == "short"),
        features[0]["properties"],
    )
    opened = open_map(demo_run.map_html)
    communities_name = opened.evaluate("GP.data.layers.communities.name")
    _only(opened, str(communities_name))
    # centre the map on the community's inner point, then click that pixel
    point = opened.evaluate(
        """(id) => {
        const f = GP.data.layers.communities.features.find(f => f.i === id);
        GP.map.setView(f.c, 15, {animate: false});
        const p = GP.map.latLngToContainerPoint(f.c);
        const box = GP.map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""",
        props["community_id"],
    )
    opened.page.mouse.click(*point)  # type: ignore[attr-defined]
    shown = _popup_values(opened)
    assert shown["title"] == props["name"]
    fields = shown["fields"]
    numeric = (
        "households",
        "population_used",
        "required_area_m2",
        "premises_area_m2",
        "shortfall_m2",
        "staff_min",
        "staff_max",
        "working_funds_yuan",
        "cobuild_funds_yuan",
        "subsidy_build_yuan",
        "subsidy_rent_yuan_per_year",
    )
    for name in numeric:
        assert _number(fields[name]) == pytest.approx(props[name], abs=1e-9), name
    assert fields["community_id"] == props["community_id"]
    from gis_planner.i18n import value_label

    assert fields["premises_status"] == value_label(props["premises_status"], "zh")
    assert opened.errors == []


def test_R9_search_finds_a_community_and_an_estate(open_map, demo_run):
    community = demo_run.geojson("communities")["features"][-1]["properties"]
    estate = demo_run.geojson("estates")["features"][0]["properties"]
    opened = open_map(demo_run.map_html)
    search = opened.page.locator(".gp-search input")  # type: ignore[attr-defined]
    for name in (community["name"], estate["name"]):
        _close_popup(opened)
        search.fill(name)
        first = opened.page.locator(".gp-search li").first  # type: ignore[attr-defined]
        assert name in first.inner_text()
        first.click()
        assert _popup_values(opened)["title"] == name
    search.fill("不存在的名称xyz")
    assert opened.page.locator(".gp-search li").inner_text() == "未找到"  # type: ignore


def test_R9_demo_map_says_which_layers_are_synthetic(open_map, demo_run):
    opened = open_map(demo_run.map_html)
    note = opened.page.locator(".gp-note")  # type: ignore[attr-defined]
    assert note.count() == 1 and note.is_visible(), (
        "the demo map shows no data note: give layers/deqing_demo a planner.yaml with "
        "data_note: {zh: ..., en: ...} saying which layers are synthetic"
    )
    assert note.inner_text().strip()
    legend = opened.page.locator(".gp-legend")  # type: ignore[attr-defined]
    assert legend.is_visible()


def test_R9_offline_every_layer_still_shows_on_a_plain_background(open_map, demo_run):
    opened = open_map(demo_run.map_html, offline=True)
    assert opened.errors == []
    # markers are elements; shapes are drawn on the one canvas of their pane
    drawn = opened.evaluate("""() => {
        const out = {};
        for (const [k, spec] of Object.entries(GP.data.layers)) {
            out[k] = spec.type === 'marker'
              ? document.querySelectorAll('.leaflet-marker-pane .gp-marker').length
              : GP.layers[k].getLayers().filter(l => l._map && l._renderer instanceof L.Canvas
                  && l._renderer._container.parentNode.classList.contains(
                       'leaflet-' + spec.pane + '-pane')
                  && l._parts.length).length;
        }
        return out;
    }""")
    painted = opened.evaluate("""() => {
        const canvas = document.querySelector('.leaflet-gp-shapes-pane canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 3; i < pixels.data.length; i += 4) { if (pixels.data[i]) { n++; } }
        return n / (canvas.width * canvas.height);
    }""")
    assert painted > 0.05, painted  # type: ignore[operator]
    shown = opened.evaluate("""() => Object.fromEntries(Object.entries(GP.layers)
        .map(([k, g]) => [k, GP.map.hasLayer(g) ? g.getLayers().length : 0]))""")
    for key, n in shown.items():  # type: ignore[union-attr]
        if n:
            assert drawn[key] > 0, key  # type: ignore[index]
    assert drawn["premises"] == shown["premises"]  # type: ignore[index]
    background = opened.evaluate("getComputedStyle(GP.map.getContainer()).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")


def test_R9_injected_names_stay_text_and_run_nothing(open_map, injected_run):
    opened = open_map(injected_run.map_html)
    search = opened.page.locator(".gp-search input")  # type: ignore[attr-defined]
    for query, name in (("img", XSS_NAME), ("script", SCRIPT_NAME)):
        _close_popup(opened)
        search.fill(query)
        first = opened.page.locator(".gp-search li").first  # type: ignore[attr-defined]
        assert name in first.inner_text()
        first.click()
        shown = _popup_values(opened)
        assert shown["title"] == name
        assert "<img" not in shown["html"] and "<script" not in shown["html"]
    # hover text too
    tooltip = opened.evaluate("""() => {
        const hit = GP.index.find(h => h.id === 'E2');
        GP.open(hit, 'tooltip', hit.f.c);
        return document.querySelector('.leaflet-tooltip').textContent;
    }""")
    assert XSS_NAME in tooltip  # type: ignore[operator]
    assert opened.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert opened.evaluate("typeof window.__pwned") == "undefined"
    assert opened.dialogs == []
    assert opened.errors == []


def test_R9_english_map_labels(open_map, tmp_path):
    from gis_planner.io.layers import load_layers
    from gis_planner.pipeline import analyse

    layers = write_hand_made_layers(tmp_path / "layers")
    path = maps.write_map(analyse(load_layers(layers)), tmp_path / "map.html", lang="en")
    opened = open_map(path)
    names = _layer_names(opened)
    assert names["base"] == ["OpenStreetMap", "No basemap"]
    assert "Communities: premises status" in names["overlays"]
    assert (
        opened.page.locator(".gp-search input").get_attribute(  # type: ignore
            "placeholder"
        )
        == "Find a community, estate or premises…"
    )
    assert opened.errors == []


def test_R7_proposal_layers_listed_and_sites_switch_on(open_map, tmp_path):
    """The R7 proposals (``propose_layout``, run here): listed, off on opening, and the
    best-p sites appear when switched on. On the demo, writes outputs/map_proposals.png."""
    from gis_planner.io.layers import load_layers
    from gis_planner.pipeline import analyse, propose_layout

    is_demo = any(DEMO.glob("communities.*"))
    layers = DEMO if is_demo else write_hand_made_layers(tmp_path / "layers")
    results = propose_layout(analyse(load_layers(layers)))
    opened = open_map(maps.write_map(results, tmp_path / "map.html"))
    data = opened.evaluate("GP.data.layers")
    names = {k: data[k]["name"] for k in ("proposed", "sites_lscp", "sites_mclp")}  # type: ignore
    assert _layer_names(opened)["overlays"][-3:] == list(names.values())
    sites = opened.page.locator(".leaflet-marker-pane .gp-site")  # type: ignore[attr-defined]
    assert sites.count() == 0  # off on opening
    overlays = opened.page.locator(".leaflet-control-layers-overlays label")  # type: ignore
    overlays.filter(has_text=names["sites_mclp"]).locator("input").click()
    assert sites.count() == results.layout.summary["mclp_sites"]
    assert sites.first.inner_text() == "1"  # labelled by priority
    assert opened.page.locator(".gp-proposals").evaluate("d => d.open")  # type: ignore
    assert opened.errors == []
    if is_demo:
        shown = {opened.evaluate("GP.data.layers.communities.name"), *names.values()}
        for i in range(overlays.count()):
            item = overlays.nth(i)
            box = item.locator("input")
            if (item.inner_text().strip() in shown) != box.is_checked():
                box.click()
        save_screenshot(opened, PROPOSALS_SCREENSHOT, tmp_path)


TEMPLATE_NAME = "{{7*7}}{% if 1 %}是{% endif %}{{ '\\x3cimg src=x onerror=alert(1)\\x3e' }}"


@pytest.fixture(scope="session")
def template_run(tmp_path_factory) -> Run:
    """A run whose estate name and data note are Jinja2 templates (folium/branca compile
    macro output a second time: such a name once ran code)."""
    layers = write_hand_made_layers(
        tmp_path_factory.mktemp("template_layers") / "layers",
        estate_name=TEMPLATE_NAME,
        data_note=f"说明 {TEMPLATE_NAME}",
    )
    out = tmp_path_factory.mktemp("template_run")
    _cli("run", str(layers), "--out", str(out))
    return Run(out, is_demo=False)


def test_R9_template_names_show_verbatim_in_popup_search_and_note(open_map, template_run):
    opened = open_map(template_run.map_html)
    search = opened.page.locator(".gp-search input")  # type: ignore[attr-defined]
    search.fill("{{7*7}}")
    first = opened.page.locator(".gp-search li").first  # type: ignore[attr-defined]
    assert TEMPLATE_NAME in first.inner_text()
    first.click()
    shown = _popup_values(opened)
    assert shown["title"] == TEMPLATE_NAME
    assert "49" not in str(shown["html"])
    note = opened.page.locator(".gp-note").inner_text()  # type: ignore[attr-defined]
    assert TEMPLATE_NAME in note
    assert opened.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert opened.dialogs == []
    assert opened.errors == []


# --------------------------------------------------------------------------- phone and desktop

#: Words of a developer that a planner must never read on the map.
DEVELOPER_WORDS = ("TIANDITU_KEY", "环境变量", "environment variable", "tianditu_key", "Leaflet")

MAP_SHARE_SCRIPT = """() => {
    // the share of the map's area where a tap reaches the map, not a control: the element
    // under every point of a 10 px grid
    const box = GP.map.getContainer().getBoundingClientRect();
    let map = 0, all = 0;
    for (let y = box.top + 5; y < box.bottom; y += 10) {
        for (let x = box.left + 5; x < box.right; x += 10) {
            all += 1;
            const e = document.elementFromPoint(x, y);
            if (e && !e.closest('.leaflet-control')) { map += 1; }
        }
    }
    return map / all;
}"""

BOXES_SCRIPT = """() => {
    const box = s => { const e = document.querySelector(s);
        if (!e || !e.offsetParent) { return null; }
        const r = e.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                width: r.width, height: r.height}; };
    return {layers: box('.leaflet-control-layers'), list: box('.leaflet-control-layers-list'),
            legend: box('.gp-legend'), legendButton: box('.gp-open-button'),
            note: box('.gp-note'), search: box('.gp-search'),
            attribution: box('.leaflet-control-attribution'), zoom: box('.leaflet-control-zoom')};
}"""


def _boxes(opened: MapPage) -> dict[str, dict | None]:
    return opened.evaluate(BOXES_SCRIPT)  # type: ignore[return-value]


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def _open_popup(opened: MapPage, layer: str = "communities") -> dict:
    """Open the popup of the feature of ``layer`` with the most rows, as the search does;
    its box on the screen."""
    opened.evaluate(
        """(id) => {
        const hits = GP.index.filter(h => h.group === GP.layers[id]);
        const rows = h => h.f.v.filter(v => v !== null).length;
        GP.focus(hits.reduce((a, b) => rows(b) > rows(a) ? b : a));
    }""",
        layer,
    )
    opened.page.wait_for_selector(".leaflet-popup", timeout=TIMEOUT_MS)  # type: ignore
    return opened.evaluate(  # type: ignore[return-value]
        """() => { const r = document.querySelector('.leaflet-popup').getBoundingClientRect();
        return {left: r.left, right: r.right, width: r.width}; }"""
    )


def _scale_and_words(opened: MapPage) -> None:
    """One metric scale bar, no imperial one, no Leaflet flag, no developer's words."""
    scale = opened.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
        ".map(e => e.textContent)"
    )
    assert len(scale) == 1 and str(scale[0]).split()[-1] in ("m", "km"), scale  # type: ignore
    text = str(opened.evaluate("document.body.innerText"))
    for word in DEVELOPER_WORDS:
        assert word not in text, word
    attribution = opened.page.locator(".leaflet-control-attribution").inner_text()  # type: ignore
    assert "OpenStreetMap" in attribution and "未配置天地图" in attribution


def test_R9_phone_controls_are_collapsed_and_the_map_fills_the_screen(open_map, demo_run):
    """390 × 844: the layer control and the legend wait behind buttons, the data note is one
    line with a close button, and a tap on the map reaches the map."""
    opened = open_map(demo_run.map_html, viewport=PHONE)
    assert opened.evaluate("window.innerWidth") == PHONE["width"]
    boxes = _boxes(opened)
    assert boxes["list"] is None and boxes["legend"] is None  # both folded
    for control in ("layers", "legendButton"):
        assert boxes[control]["width"] <= 48 and boxes[control]["height"] <= 48, control
    assert boxes["note"]["height"] <= 40  # one line
    for other in ("layers", "legendButton", "zoom"):
        assert not _overlap(boxes["search"], boxes[other]), other
    share = opened.evaluate(MAP_SHARE_SCRIPT)
    assert share >= 0.85, share  # the issue measured 60 %
    # a first tap on the middle of the screen lands on the map
    target = opened.evaluate(
        "(() => { const e = document.elementFromPoint(195, 422);"
        " return !!e.closest('.leaflet-control'); })()"
    )
    assert target is False
    _scale_and_words(opened)
    if demo_run.is_demo:
        save_screenshot(opened, PHONE_SCREENSHOT, demo_run.map_html.parent)
    # the legend opens on its button and closes on a tap on the map
    opened.page.locator(".gp-open-button").tap()  # type: ignore[attr-defined]
    legend = _boxes(opened)["legend"]
    assert legend and legend["right"] <= PHONE["width"] and legend["bottom"] <= PHONE["height"]
    assert "年现状" in opened.page.locator(".gp-head").inner_text()  # the year shown
    opened.page.tap(".leaflet-container", position={"x": 30, "y": 400})  # type: ignore
    assert _boxes(opened)["legend"] is None
    # the layer control opens on its button, and the legend stays folded
    opened.page.locator(".leaflet-control-layers-toggle").tap()  # type: ignore[attr-defined]
    boxes = _boxes(opened)
    assert boxes["list"] is not None and boxes["legend"] is None
    assert boxes["layers"]["right"] <= PHONE["width"]
    assert opened.errors == []


def test_R9_phone_popup_fits_the_screen(open_map, demo_run):
    opened = open_map(demo_run.map_html, viewport=PHONE)
    popup = _open_popup(opened)
    assert popup["left"] >= 0 and popup["right"] <= PHONE["width"], popup
    assert popup["width"] <= PHONE["width"] - 20
    assert opened.errors == []


def test_R9_data_note_closes_on_phone_and_desktop(open_map, demo_run):
    for viewport in (PHONE, DESKTOP):
        opened = open_map(demo_run.map_html, viewport=viewport)
        note = opened.page.locator(".gp-note")  # type: ignore[attr-defined]
        assert note.is_visible(), viewport
        close = opened.page.locator(".gp-note .gp-close")  # type: ignore[attr-defined]
        assert close.is_visible() and close.get_attribute("aria-label") == "关闭"
        close.click()
        assert not note.is_visible(), viewport
        assert opened.errors == []


def test_R9_desktop_layout_legend_clear_of_the_attribution(open_map, demo_run):
    """1600 × 1000: layer control and legend open, the legend ending above the attribution,
    the scale metric, the title naming the layers and the year."""
    opened = open_map(demo_run.map_html, viewport=DESKTOP)
    boxes = _boxes(opened)
    assert boxes["list"] is not None and boxes["legend"] is not None
    assert boxes["legendButton"] is None
    assert boxes["legend"]["bottom"] <= boxes["attribution"]["top"]
    assert not _overlap(boxes["legend"], boxes["layers"])
    _scale_and_words(opened)
    head = opened.page.locator(".gp-head").inner_text()  # type: ignore[attr-defined]
    title = str(opened.evaluate("document.title"))
    assert head == title and title.endswith("年现状")  # the year the map shows
    popup = _open_popup(opened)
    assert popup["width"] <= 440
    if demo_run.is_demo:
        _close_popup(opened)
        opened.evaluate(
            "() => { GP.map.fitBounds(GP.data.bounds, {animate: false, "
            "paddingTopLeft: [12, 12], paddingBottomRight: [320, 12]}); }"
        )
        target = save_screenshot(opened, SCREENSHOT, demo_run.map_html.parent)
        if target == SCREENSHOT:
            assert target.stat().st_size < SCREENSHOT_MAX_BYTES
    assert opened.errors == []


def test_R9_no_tooltip_over_an_open_popup(open_map, demo_run):
    opened = open_map(demo_run.map_html, viewport=DESKTOP)
    _open_popup(opened, "estates")
    opened.evaluate(
        """() => { const hit = GP.index.find(h => h.group === GP.layers.estates);
        GP.open(hit, 'tooltip', hit.f.c); }"""
    )
    visible = opened.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-tooltip')).some(t => t.offsetParent)"
    )
    assert visible is False
    _close_popup(opened)
    visible = opened.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-tooltip')).some(t => t.offsetParent)"
    )
    assert visible is True
    assert opened.errors == []


def test_R9_premises_icons_shrink_and_hide_as_the_map_zooms_out(open_map, demo_run):
    opened = open_map(demo_run.map_html, viewport=DESKTOP)
    size = """(z) => { GP.map.setZoom(z, {animate: false});
        const pins = Array.from(document.querySelectorAll('.gp-marker .gp-pin'));
        const shown = pins.filter(p => p.offsetParent);
        return shown.length ? Math.max(...shown.map(p => p.getBoundingClientRect().width)) : 0;
    }"""
    full, small, county = (opened.evaluate(size, z) for z in (15, 12, 11))
    assert full >= 20  # the largest premises at full size
    assert 0 < small <= full / 4 + 1  # a quarter of it three zoom levels out
    assert county == 0  # hidden at a county's zoom: no blob
    assert opened.errors == []


def test_R7_search_lists_proposals_only_while_their_layer_is_on(open_map, tmp_path):
    from gis_planner.io.layers import load_layers
    from gis_planner.pipeline import analyse, propose_layout

    layers = DEMO if any(DEMO.glob("communities.*")) else write_hand_made_layers(tmp_path / "l")
    results = propose_layout(analyse(load_layers(layers)))
    opened = open_map(maps.write_map(results, tmp_path / "map.html"))
    proposed = str(opened.evaluate("GP.data.layers.proposed.kind"))
    name = str(opened.evaluate("GP.data.layers.proposed.features[0].n"))
    search = opened.page.locator(".gp-search input")  # type: ignore[attr-defined]
    search.fill(name)
    items = opened.page.locator(".gp-search li")  # type: ignore[attr-defined]
    assert items.count() >= 1 and not items.filter(has_text=proposed).count()
    overlays = opened.page.locator(".leaflet-control-layers-overlays label")  # type: ignore
    overlays.filter(has_text=str(opened.evaluate("GP.data.layers.proposed.name"))).locator(
        "input"
    ).click()
    search.fill("")
    search.fill(name)
    assert items.filter(has_text=proposed).count() >= 1
    assert opened.errors == []


#: The page point (x, y) of a [lat, lon] in the map (for the mouse).
PAGE_POINT = """(c) => {
    const p = GP.map.latLngToContainerPoint(c);
    const box = GP.map.getContainer().getBoundingClientRect();
    return [box.left + p.x, box.top + p.y];
}"""


def _tooltip_text(opened: MapPage) -> str:
    return str(
        opened.evaluate(
            "Array.from(document.querySelectorAll('.leaflet-tooltip'))"
            ".filter(t => t.offsetParent).map(t => t.textContent).join('|')"
        )
    )


def _wait_for_tooltip(opened: MapPage, title: str) -> str:
    """The tooltip text once it shows ``title`` (the map answers the mouse on its next frame,
    so the test waits for it, up to 5 s, rather than reading at once)."""
    opened.page.wait_for_function(  # type: ignore[attr-defined]
        "t => Array.from(document.querySelectorAll('.leaflet-tooltip'))"
        ".some(el => el.offsetParent && el.textContent.includes(t))",
        arg=title,
        timeout=5000,
    )
    return _tooltip_text(opened)


def test_R9_estates_drawn_as_one_path_each_show_their_own_popup_and_tooltip(open_map, demo_run):
    """Estates of one status are one canvas path (a batch): the mouse still finds each
    estate, its tooltip follows from one to the next, and a click shows the one clicked."""
    opened = open_map(demo_run.map_html)
    _only(opened, str(opened.evaluate("GP.data.layers.estates.name")))
    two = opened.evaluate("""() => {
        const batch = GP.layers.estates.getLayers()
            .reduce((a, b) => b.gpFeatures.length > a.gpFeatures.length ? b : a);
        const title = f => f.n || f.i;
        const a = batch.gpFeatures[0], b = batch.gpFeatures.find(f => title(f) !== title(a));
        GP.map.fitBounds([a.c, b.c], {paddingTopLeft: [300, 160], paddingBottomRight: [360, 120],
                                      maxZoom: 17, animate: false});
        return [a, b].map(f => ({c: f.c, title: title(f)}));
    }""")
    assert len(two) == 2  # type: ignore[arg-type]
    a, b = (opened.evaluate(PAGE_POINT, f["c"]) for f in two)  # type: ignore[union-attr]
    mouse = opened.page.mouse  # type: ignore[attr-defined]
    mouse.move(*a)
    assert two[0]["title"] in _wait_for_tooltip(opened, two[0]["title"])  # type: ignore[index]
    mouse.move(*b, steps=8)
    shown = _wait_for_tooltip(opened, two[1]["title"])  # type: ignore[index]
    assert two[0]["title"] not in shown  # type: ignore[index]
    mouse.click(*b)
    assert _popup_values(opened)["title"] == two[1]["title"]  # type: ignore[index]
    _close_popup(opened)
    mouse.click(*opened.evaluate(PAGE_POINT, two[0]["c"]))  # (the popup may have panned the map)
    assert _popup_values(opened)["title"] == two[0]["title"]  # type: ignore[index]
    assert opened.errors == []


def test_R8_layer_off_on_opening_is_built_when_switched_on(open_map, demo_run):
    """The estates without property management (R8), off on opening, are not built until
    switched on; then every one of them is drawn, and clicking its outline shows its popup."""
    opened = open_map(demo_run.map_html)
    assert opened.evaluate("[GP.layers.no_pm.gpBuilt, GP.map.hasLayer(GP.layers.no_pm)]") == [
        False,
        False,
    ]
    _only(opened, str(opened.evaluate("GP.data.layers.no_pm.name")))
    drawn, expected = opened.evaluate("""() => [
        GP.layers.no_pm.getLayers().reduce((n, b) => n + b.gpFeatures.length, 0),
        GP.data.layers.estates.features.filter(f => f.m).length]""")  # type: ignore[misc]
    assert drawn == expected > 0
    # a vertex of an estate's outline that no other such estate shares: click it
    target = opened.evaluate("""() => {
        const flagged = GP.data.layers.estates.features.filter(f => f.m);
        const vertices = f => [].concat(...[].concat(...(f.g.l ? [f.ll] : [f.ll])).map(
            x => x instanceof L.LatLng ? [x] : [].concat(...x)));
        for (const f of flagged) {
            const v = vertices(f)[0];
            const shared = flagged.some(o => o !== f && vertices(o).some(
                w => Math.abs(w.lat - v.lat) < 1e-5 && Math.abs(w.lng - v.lng) < 1e-5));
            if (!shared) {
                GP.map.setView(v, 17, {animate: false});
                return {c: [v.lat, v.lng], title: f.n || f.i};
            }
        }
        return null;
    }""")
    assert target is not None
    opened.page.mouse.click(*opened.evaluate(PAGE_POINT, target["c"]))  # type: ignore
    assert _popup_values(opened)["title"] == target["title"]  # type: ignore[index]
    assert opened.errors == []


def test_R9_premises_in_the_page_only_near_the_view_and_found_by_search(open_map, demo_run):
    """Premises markers are put in the page near the view, at zooms where they show; a
    search for one zoomed out brings it, and its popup, up."""
    opened = open_map(demo_run.map_html)
    markers = opened.page.locator(".leaflet-marker-pane .gp-marker")  # type: ignore
    near = """() => { const v = GP.map.getBounds().pad(0.5);
        return GP.data.layers.premises.features.filter(f => v.contains(f.c)).length; }"""
    assert markers.count() == opened.evaluate(near) > 0
    opened.evaluate("() => { GP.map.setZoom(11, {animate: false}); }")
    assert markers.count() == 0  # the whole county: premises hidden, none in the page
    premises = opened.evaluate("""() => {
        const fs = GP.data.layers.premises.features, f = fs[fs.length - 1];
        return {id: f.i, title: f.n || f.i, kind: GP.data.layers.premises.kind};
    }""")
    opened.page.locator(".gp-search input").fill(premises["id"])  # type: ignore
    items = opened.page.locator(".gp-search li")  # type: ignore[attr-defined]
    items.filter(has_text=premises["kind"]).first.click()  # type: ignore[index]
    assert _popup_values(opened)["title"] == premises["title"]  # type: ignore[index]
    assert markers.count() == opened.evaluate(near) > 0
    assert opened.errors == []
