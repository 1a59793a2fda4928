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
SCREENSHOT = REPO / "outputs" / "map_screenshot.png"
PROPOSALS_SCREENSHOT = REPO / "outputs" / "map_proposals.png"


def screenshot_path(committed: Path, tmp: Path) -> Path:
    """Where to save a screenshot: the committed one under outputs/ when it is missing or
    UPDATE_SCREENSHOTS=1 is set (so a test run leaves the checkout clean), else ``tmp``."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not committed.exists():
        committed.parent.mkdir(exist_ok=True)
        return committed
    return tmp / committed.name


VIEWPORT = {"width": 1400, "height": 900}
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

    def _open(path: Path, *, offline: bool = False) -> MapPage:
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")
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


def _popup_values(opened: MapPage) -> dict[str, object]:
    opened.page.wait_for_selector(
        ".leaflet-popup-content .gp-popup",  # type: ignore
        timeout=TIMEOUT_MS,
    )
    return opened.evaluate("""() => {
        const box = document.querySelector('.leaflet-popup-content .gp-popup');
        const fields = {};
        box.querySelectorAll('[data-field]').forEach(e => {
            fields[e.getAttribute('data-field')] = e.textContent; });
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
    if demo_run.is_demo:
        target = screenshot_path(SCREENSHOT, demo_run.map_html.parent)
        opened.page.screenshot(path=str(target))  # type: ignore[attr-defined]
        assert target.stat().st_size > 50_000


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
    # every overlay on the map has features drawn
    counts = opened.evaluate("""() => Object.fromEntries(Object.entries(GP.layers)
        .map(([k, g]) => [k, g.getLayers().length]))""")
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
        opened.evaluate("GP.map.closePopup()")
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
    drawn = opened.evaluate("""() => {
        const out = {};
        for (const [k, spec] of Object.entries(GP.data.layers)) {
            out[k] = spec.type === 'marker'
              ? document.querySelectorAll('.leaflet-marker-pane .gp-marker').length
              : document.querySelectorAll('.leaflet-' + spec.pane + '-pane path').length;
        }
        return out;
    }""")
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
        opened.evaluate("GP.map.closePopup()")
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
        hit.layer.openTooltip(hit.f.c);
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
        target = screenshot_path(PROPOSALS_SCREENSHOT, tmp_path)
        opened.page.screenshot(path=str(target))  # type: ignore[attr-defined]


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
