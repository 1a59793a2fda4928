
(function () {
  'use strict';
  var GP = window.GP = {layers: {}, index: []};
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function title(f) { return (f.n !== undefined && f.n !== '') ? f.n : (f.i || ''); }
  function str(x) { return typeof x === 'number' ? GP.data.strings[x] : x; }
  function style(spec, f) {
    var s = L.Util.extend({pane: spec.pane}, spec.style || {});
    if (spec.colours) {
      s.fillColor = (f.k !== undefined && spec.colours[f.k]) || GP.data.noStatusColour;
      if (spec.stroke) { s.color = s.fillColor; }
    }
    if (spec.keyStyle && f.k !== undefined && spec.keyStyle[f.k]) {
      L.Util.extend(s, spec.keyStyle[f.k]);
    }
    return s;
  }
  function popup(spec, f) {
    var box = el('div', 'gp-popup');
    box.appendChild(el('div', 'gp-title', title(f)));
    if (spec.kind) { box.appendChild(el('div', 'gp-kind', spec.kind)); }
    if (spec.labels && f.k !== undefined) {
      var st = el('div', 'gp-status');
      var sw = el('i', 'gp-sw');
      sw.style.background = spec.colours[f.k] || GP.data.noStatusColour;
      st.appendChild(sw);
      st.appendChild(document.createTextNode(spec.labels[f.k] || f.k));
      box.appendChild(st);
    }
    var table = el('table', 'gp-fields');
    spec.rows.forEach(function (row, i) {
      var v = f.v[i];
      if (v === null || v === undefined) { return; }
      var tr = el('tr');
      tr.appendChild(el('th', null, row.l));
      var td = el('td');
      if (row.t === 'range' && v.length === 1) {  // a fixed figure: "12", not "12–12"
        td.textContent = str(v[0]);
        td.setAttribute('data-field', row.f.join(' '));
      } else if (row.t === 'range') {
        var a = el('span', null, str(v[0])), b = el('span', null, str(v[1]));
        a.setAttribute('data-field', row.f[0]);
        b.setAttribute('data-field', row.f[1]);
        td.appendChild(a); td.appendChild(document.createTextNode('–')); td.appendChild(b);
      } else if (row.t === 'list') {
        var ul = el('ul');
        v.forEach(function (x) { ul.appendChild(el('li', null, str(x))); });
        td.appendChild(ul);
        td.setAttribute('data-field', row.f);
      } else {
        td.textContent = str(v);
        td.setAttribute('data-field', row.f);
      }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }
  function tip(spec, f) {
    var parts = [title(f)];
    (spec.tip || []).forEach(function (t) {
      var v = f.v[t[0]], w = t.length > 2 ? f.v[t[2]] : '';
      if (v === null || v === undefined || w === null || w === undefined) { return; }
      parts.push(t[1].replace('{v}', function () { return str(v); })
                     .replace('{w}', function () { return str(w); }));
    });
    return el('div', null, parts.join(' · '));
  }
  function badge(spec, f) {
    // a proposed site: its priority on a flag whose tip is on the site (left or right of it)
    var w = f.z || 22, h = 20, gap = 4;
    var flag = el('span', 'gp-badge gp-badge-' + spec.badge, f.p);
    flag.style.background = spec.colour;
    flag.style.setProperty('--gp-c', spec.colour);
    flag.style.setProperty('--gp-w', w + 'px');
    return L.marker(f.c, {
      icon: L.divIcon({className: 'gp-site gp-site-' + spec.badge, html: flag, iconSize: [w, h],
                       iconAnchor: spec.badge === 'left' ? [w + gap, h / 2] : [-gap, h / 2]}),
      pane: spec.pane, riseOnHover: true, keyboard: false
    });
  }
  // Geometries travel as integers (geometry.encode in Python): each vertex lat, lon in
  // 1/GP.data.scale degree, as the difference from the vertex before it, running on across the
  // rings and parts of a feature. Adding them up and dividing gives the decimal coordinates.
  // box: [south, west, north, east] in 1/scale degree, widened to the vertices decoded.
  function decode(parts, box) {
    var lat = 0, lon = 0, scale = GP.data.scale;
    return parts.map(function (flat) {
      var out = new Array(flat.length / 2);
      for (var i = 0; i < flat.length; i += 2) {
        lat += flat[i]; lon += flat[i + 1];
        out[i / 2] = new L.LatLng(lat / scale, lon / scale);
        if (lat < box[0]) { box[0] = lat; }
        if (lon < box[1]) { box[1] = lon; }
        if (lat > box[2]) { box[2] = lat; }
        if (lon > box[3]) { box[3] = lon; }
      }
      return out;
    });
  }
  // The features of a layer come in columns (records.pack in Python): one list per key, null
  // where a feature has none. The records are rebuilt here: repeated strings (colour key k,
  // popup values) are indices in GP.data.strings (resolved as they are shown, by str()), the id
  // i is the popup row idRow when the layer has one, and the anchor c of a shape is d, its
  // offset from the first vertex of the shape.
  function unpack(spec) {
    var cols = spec.columns, keys = Object.keys(cols), scale = GP.data.scale;
    var n = keys.length ? cols[keys[0]].length : 0, features = new Array(n);
    for (var i = 0; i < n; i++) {
      var f = {};
      for (var j = 0; j < keys.length; j++) {
        var x = cols[keys[j]][i];
        if (x !== null) { f[keys[j]] = x; }
      }
      if (f.k !== undefined) { f.k = str(f.k); }
      if (f.d) {
        var first = f.g.p ? f.g.p[0][0] : f.g.l[0];
        f.c = [(first[0] + f.d[0]) / scale, (first[1] + f.d[1]) / scale];
      }
      if (spec.idRow !== undefined && f.v[spec.idRow] !== null) { f.i = str(f.v[spec.idRow]); }
      features[i] = f;
    }
    spec.features = features;
    delete spec.columns;
  }
  function latlngs(g, box) {
    if (g.p) {
      var rings = decode([].concat.apply([], g.p), box), polygons = [], at = 0;
      g.p.forEach(function (polygon) {
        polygons.push(rings.slice(at, at + polygon.length));
        at += polygon.length;
      });
      return polygons.length === 1 ? polygons[0] : polygons;
    }
    var lines = decode(g.l, box);
    return lines.length === 1 ? lines[0] : lines;
  }
  // Leaflet's count of the rings of nested latlngs, as its _projectLatlngs makes them.
  function countRings(ll) {
    if (ll[0] instanceof L.LatLng) { return 1; }
    var n = 0;
    for (var i = 0; i < ll.length; i++) { n += countRings(ll[i]); }
    return n;
  }
  // A batch: the features of one layer that share a style, drawn as ONE Leaflet path (the
  // rings of one polygon, or the lines of one polyline) on the shapes' canvas. A city of 20,000
  // estates was some 40,000 Leaflet paths, one per feature and layer, each with its own
  // events, bounds and canvas fill/stroke call: adding and drawing them took most of the
  // page's load time (benchmarks/bench_map.py). A batch is one path per layer and colour,
  // filled and stroked once, and it still tells its features apart: its hit test (the canvas
  // asks it on every click and hover) finds the topmost feature under the mouse, the one its
  // popup and tooltip then show (gpHit). As for one path per feature, a polygon drawn without
  // fill (the estates beyond reach, without property management) answers the mouse on its
  // line only, so the estate's own tooltip beneath stays reachable. Overlapping features of
  // one batch are filled once (even-odd), not one over the other.
  function batchOf(Base) {
    return Base.extend({
      initialize: function (features, options) {
        var all = [], end = this._gpEnd = new Int32Array(features.length), r = 0;
        features.forEach(function (f, i) {
          var single = (f.g.p || f.g.l).length === 1, parts = single ? [f.ll] : f.ll;
          for (var j = 0; j < parts.length; j++) {
            all.push(parts[j]);
            r += countRings(parts[j]);
          }
          end[i] = r;  // where the feature's rings end in this._rings (the projected rings)
        });
        this.gpFeatures = features;
        this._gpClosed = Base === L.Polygon;
        Base.prototype.initialize.call(this, all, options);
      },
      // Leaflet's canvas draws a path (Canvas._updatePoly) closing each ring with closePath,
      // which in Chromium takes time in proportion to the whole path drawn so far: on one path
      // of 20,000 estates, seconds. A ring is closed here by a line back to its first vertex
      // instead (the fill closes it anyway; the stroke is the same).
      _updatePath: function () {
        var renderer = this._renderer, parts = this._parts, ctx = renderer._ctx;
        if (!renderer._drawing || !parts.length) { return; }
        ctx.beginPath();
        for (var i = 0; i < parts.length; i++) {
          var part = parts[i];
          for (var j = 0; j < part.length; j++) {
            if (j) { ctx.lineTo(part[j].x, part[j].y); } else { ctx.moveTo(part[j].x, part[j].y); }
          }
          if (this._gpClosed && part.length) { ctx.lineTo(part[0].x, part[0].y); }
        }
        renderer._fillStroke(ctx, this);
      },
      // The features' vertices are L.LatLng already (decode): kept as they are, not copied one
      // at a time as Leaflet does, and the bounds are those of their boxes (found by decode).
      _setLatLngs: function (latlngs) {
        var box = [Infinity, Infinity, -Infinity, -Infinity], scale = GP.data.scale;
        this.gpFeatures.forEach(function (f) {
          for (var i = 0; i < 2; i++) {
            box[i] = Math.min(box[i], f.llBox[i]);
            box[i + 2] = Math.max(box[i + 2], f.llBox[i + 2]);
          }
        });
        this._bounds = box[0] <= box[2]
          ? L.latLngBounds([box[0] / scale, box[1] / scale], [box[2] / scale, box[3] / scale])
          : new L.LatLngBounds();
        this._latlngs = latlngs;
      },
      // Leaflet's projection (Map.latLngToLayerPoint: one call and one bounds extension per
      // vertex), written out for the Web Mercator of every basemap here (the same rounded
      // pixels), a feature at a time: a feature drawn by two layers (an estate, and the
      // estates beyond reach) is projected once per view and its rings shared; its pixel box
      // is kept for the hit test.
      _project: function () {
        var map = this._map, crs = map.options.crs, features = this.gpFeatures;
        this._gpBox = null;  // the features' pixel boxes, found again on the next hit test
        if (crs !== L.CRS.EPSG3857) { Base.prototype._project.call(this); return; }
        var origin = map.getPixelOrigin(), zoom = map.getZoom();
        var view = zoom + ' ' + origin.x + ' ' + origin.y;
        var m = L.Projection.SphericalMercator, t = crs.transformation, scale = crs.scale(zoom);
        var d = Math.PI / 180, max = m.MAX_LATITUDE, R = m.R;
        var rings = this._rings = [], box = new Float64Array(features.length * 4);
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        function walk(ll, f, at) {
          if (!(ll[0] instanceof L.LatLng)) {
            for (var k = 0; k < ll.length; k++) { walk(ll[k], f, at); }
            return;
          }
          var ring = new Array(ll.length);
          for (var i = 0; i < ll.length; i++) {
            var sin = Math.sin(Math.max(Math.min(max, ll[i].lat), -max) * d);
            var x = Math.round(scale * (t._a * (R * ll[i].lng * d) + t._b)) - origin.x;
            var y = Math.round(scale * (t._c * (R * Math.log((1 + sin) / (1 - sin)) / 2) + t._d)) -
                    origin.y;
            ring[i] = new L.Point(x, y);
            if (x < at[0]) { at[0] = x; }
            if (y < at[1]) { at[1] = y; }
            if (x > at[2]) { at[2] = x; }
            if (y > at[3]) { at[3] = y; }
          }
          f.gpRings.push(ring);
        }
        for (var i = 0; i < features.length; i++) {
          var f = features[i];
          if (f.gpView !== view) {
            f.gpRings = [];
            f.gpPx = [Infinity, Infinity, -Infinity, -Infinity];
            walk(f.ll, f, f.gpPx);
            f.gpView = view;
          }
          for (var r = 0; r < f.gpRings.length; r++) { rings.push(f.gpRings[r]); }
          box.set(f.gpPx, 4 * i);
          if (f.gpPx[0] < x0) { x0 = f.gpPx[0]; }
          if (f.gpPx[1] < y0) { y0 = f.gpPx[1]; }
          if (f.gpPx[2] > x1) { x1 = f.gpPx[2]; }
          if (f.gpPx[3] > y1) { y1 = f.gpPx[3]; }
        }
        this._gpBox = box;
        if (this._bounds.isValid() && x0 <= x1) {
          this._rawPxBounds = new L.Bounds([x0, y0], [x1, y1]);
          this._updateBounds();
        }
      },
      _gpBoxes: function () {
        if (this._gpBox) { return this._gpBox; }
        var rings = this._rings, end = this._gpEnd, box = new Float64Array(end.length * 4);
        for (var i = 0, r = 0; i < end.length; i++) {
          var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
          for (; r < end[i]; r++) {
            for (var j = 0, ring = rings[r]; j < ring.length; j++) {
              var p = ring[j];
              if (p.x < x0) { x0 = p.x; }
              if (p.x > x1) { x1 = p.x; }
              if (p.y < y0) { y0 = p.y; }
              if (p.y > y1) { y1 = p.y; }
            }
          }
          box[4 * i] = x0; box[4 * i + 1] = y0; box[4 * i + 2] = x1; box[4 * i + 3] = y1;
        }
        return (this._gpBox = box);
      },
      // does feature i's shape hold p: inside (filled) or within w px of its line
      _gpHas: function (i, p, w) {
        var rings = this._rings, from = i ? this._gpEnd[i - 1] : 0, to = this._gpEnd[i];
        var r, j, k, ring, p1, p2, inside = false;
        if (this._gpClosed && this.options.fill) {  // ray casting, as L.Polygon does
          for (r = from; r < to; r++) {
            for (ring = rings[r], j = 0, k = ring.length - 1; j < ring.length; k = j++) {
              p1 = ring[j]; p2 = ring[k];
              if (((p1.y > p.y) !== (p2.y > p.y)) &&
                  (p.x < (p2.x - p1.x) * (p.y - p1.y) / (p2.y - p1.y) + p1.x)) { inside = !inside; }
            }
          }
          if (inside) { return true; }
        }
        for (r = from; r < to; r++) {
          for (ring = rings[r], j = 0, k = ring.length - 1; j < ring.length; k = j++) {
            if (!this._gpClosed && j === 0) { continue; }
            if (L.LineUtil.pointToSegmentDistance(p, ring[k], ring[j]) <= w) { return true; }
          }
        }
        return false;
      },
      _containsPoint: function (p) {
        if (!this._pxBounds || !this._pxBounds.contains(p)) { return false; }
        var box = this._gpBoxes(), w = this._clickTolerance();
        for (var i = this._gpEnd.length - 1; i >= 0; i--) {  // the last drawn is on top
          if (p.x < box[4 * i] - w || p.y < box[4 * i + 1] - w ||
              p.x > box[4 * i + 2] + w || p.y > box[4 * i + 3] + w) { continue; }
          if (this._gpHas(i, p, w)) { this.gpHit = this.gpFeatures[i]; return true; }
        }
        return false;
      }
    });
  }
  var PolygonBatch = batchOf(L.Polygon), LineBatch = batchOf(L.Polyline);
  var DASHED_BATCH = 256;
  // The features of a layer as Leaflet layers: a batch per style (the colour key k), and a
  // layer of its own for a geometry that is not a polygon or line (GeoJSON: points...).
  // Returns [[layer, features], ...] in the order the styles first occur.
  function shapes(spec, features) {
    var batches = {}, current = {}, order = [], out = [];
    var limit = (spec.style || {}).dashArray ? DASHED_BATCH : Infinity;
    features.forEach(function (f) {
      var g = f.g;
      if (!g.p && !g.l) {
        var options = spec.type === 'derived'
          ? L.Util.extend({pane: spec.pane}, spec.style) : style(spec, f);
        var one = L.GeoJSON.geometryToLayer({type: 'Feature', geometry: g, properties: {}},
                                            options);
        if (one) { one.gpFeature = f; out.push([one, [f]]); }
        return;
      }
      // decoded once per feature: the layers drawn from another's features share its vertices
      if (!f.ll) {
        f.llBox = [Infinity, Infinity, -Infinity, -Infinity];
        f.ll = latlngs(g, f.llBox);
      }
      var kind = (spec.type === 'derived' ? '' : (f.k === undefined ? '\u0000' : f.k)) +
                 (g.p ? ' p' : ' l');
      var key = current[kind];
      if (key === undefined || batches[key].length >= limit) {  // a new batch of this style
        key = current[kind] = order.length;
        batches[key] = [];
        order.push(key);
      }
      batches[key].push(f);
    });
    order.forEach(function (key) {
      var fs = batches[key], f = fs[0];
      var options = spec.type === 'derived'
        ? L.Util.extend({pane: spec.pane}, spec.style) : style(spec, f);
      out.push([new (f.g.p ? PolygonBatch : LineBatch)(fs, options), fs]);
    });
    return out;
  }
  // Shapes share one canvas (style.SHAPES_PANE), drawn in the order of their layer's z: a
  // layer switched on again is drawn last, so the layers above it are brought up again.
  function restack(added) {
    Object.keys(GP.layers).map(function (id) { return GP.layers[id]; })
      .filter(function (g) { return g.gpZ > added.gpZ && GP.map.hasLayer(g); })
      .sort(function (a, b) { return a.gpZ - b.gpZ; })
      .forEach(function (g) { g.bringToFront(); });
  }
  function marker(spec, f) {
    if (spec.badge) { return badge(spec, f); }
    var d = f.z || 20;
    var pin = el('span', 'gp-pin' + (f.pl ? ' gp-planned' : ''),
                 spec.icons[f.k] || spec.icons.other);
    pin.style.setProperty('--gp-d', d + 'px');
    pin.style.setProperty('--gp-f', Math.max(10, Math.round(d * 0.5)) + 'px');
    return L.marker(f.c, {
      icon: L.divIcon({className: 'gp-marker', html: pin, iconSize: [d, d]}),
      pane: spec.pane, riseOnHover: true, keyboard: false
    });
  }
  // Premises and site badges shrink with the map as it zooms out: full size from zoom
  // MARKER_FULL_ZOOM, half per zoom level below (they keep their size on the ground), never
  // under a 4 px dot, their letters hidden once too small to read, and hidden altogether
  // below MARKER_HIDE_SCALE (zoom 11 and out: the whole county, where 75 premises of a town
  // centre would pile into one blob; the legend says so). Chosen over
  // clustering because it is the simplest to keep: a few lines here and in onemap.css,
  // nothing vendored, every marker stays where it is, clickable and searchable. A clustering
  // plugin (Leaflet.markercluster: ~40 kB of script and style, its own events) would have to
  // be vendored with its licence and kept in step with Leaflet, and a hand-made grid
  // clustering would regroup the markers at every zoom and pan, which the search (open this
  // marker's popup) and the layer control would have to know about.
  var MARKER_FULL_ZOOM = 14, MARKER_TEXT_SCALE = 0.75, MARKER_HIDE_SCALE = 0.2;
  function markerScale() { return Math.min(1, Math.pow(2, GP.map.getZoom() - MARKER_FULL_ZOOM)); }
  function scaleMarkers() {
    var s = markerScale();
    var box = GP.map.getContainer();
    box.style.setProperty('--gp-s', String(s));
    box.classList.toggle('gp-small', s < MARKER_TEXT_SCALE);
    box.classList.toggle('gp-markers-off', s < MARKER_HIDE_SCALE);
  }
  // Phones and narrow windows (a map narrower than this, in px) get the compact layout: the
  // layer control and the legend behind buttons, the data note folded to one line.
  var COMPACT_MAX_PX = 640;
  function isCompact(map) { return map.getSize().x < COMPACT_MAX_PX; }
  function popupOptions(map) {
    // popups fit the screen: at most 380 px wide, and never wider than the map allows
    var size = map.getSize(), compact = isCompact(map);
    return {maxWidth: Math.max(160, Math.min(380, size.x - 60)),
            maxHeight: Math.max(160, Math.min(460, size.y - 160)),
            autoPanPaddingTopLeft: compact ? [10, 64] : [20, 20],
            autoPanPaddingBottomRight: compact ? [10, 40] : [20, 20]};
  }
  GP.init = function (map, dataId) {
    GP.map = map;
    GP.data = JSON.parse(document.getElementById(dataId).textContent);
    Object.keys(GP.data.layers).forEach(function (id) {
      if (GP.data.layers[id].columns) { unpack(GP.data.layers[id]); }
    });
    Object.keys(GP.data.panes).forEach(function (name) {
      map.createPane(name).style.zIndex = GP.data.panes[name];
    });
    // switching on a proposal layer unfolds the proposals' legend
    map.on('overlayadd', function (e) {
      Object.keys(GP.layers).forEach(function (id) {
        var box = document.querySelector('.gp-proposals');
        if (box && GP.layers[id] === e.layer && GP.data.layers[id].proposal && !box.open) {
          box.open = true;
          var legend = box.closest('.gp-legend');
          if (legend) {
            legend.scrollTop += box.getBoundingClientRect().top -
              legend.getBoundingClientRect().top;
          }
        }
      });
    });
    GP.compact = isCompact(map);
    map.getContainer().classList.toggle('gp-compact', GP.compact);
    GP.popupOptions = popupOptions(map);
    // no tooltip over an open popup: tooltips are hidden while one is open
    map.on('popupopen', function (e) {
      map.getContainer().classList.add('gp-popup-open');
      var fit = popupOptions(map);  // the window may have changed since the popup was bound
      if (e.popup.options.maxWidth !== fit.maxWidth) { L.setOptions(e.popup, fit); e.popup.update(); }
    });
    map.on('popupclose', function () { map.getContainer().classList.remove('gp-popup-open'); });
    map.on('zoomend', scaleMarkers);
    if (GP.data.bounds) {
      // keep the planning area clear of the layer control and legend on wide screens
      var wide = map.getSize().x > 900;
      map.fitBounds(GP.data.bounds, {paddingTopLeft: [12, 12],
                                     paddingBottomRight: [wide ? 320 : 12, 12], animate: false});
    }
    scaleMarkers();
  };
  // Markers (premises, sites) are elements of the page, and a city has thousands: each is put
  // in the page only while it can be seen, i.e. near the view (within half a view of it) and
  // at a zoom where markers show (MARKER_HIDE_SCALE), and made when first shown. A city
  // opens on its whole extent, where no marker shows: its 2,000 premises made and laid out as
  // elements were a fifth of its load time (benchmarks/bench_map.py). The group holds the
  // markers shown; a search hit's marker is made when asked for (hit.layer) and shown as the
  // search brings it into view.
  function markers(group, spec, features, layerOf) {
    function markerOf(f) {
      var one = layerOf.get(f);
      if (!one) {
        one = marker(spec, f);
        one.gpFeature = f;
        layerOf.set(f, one);
      }
      return one;
    }
    function update() {
      var map = GP.map;
      if (!map.hasLayer(group)) { return; }
      var view = markerScale() >= MARKER_HIDE_SCALE ? map.getBounds().pad(0.5) : null;
      features.forEach(function (f) {
        var one = layerOf.get(f), near = view !== null && view.contains(f.c);
        if (near && !(one && group.hasLayer(one))) {
          group.addLayer(markerOf(f));
        } else if (!near && one && group.hasLayer(one)) {
          group.removeLayer(one);
        }
      });
    }
    group.gpLayerOf = markerOf;
    group.on('add', update);
    GP.map.on('moveend', update);
  }
  // A search hit: a feature of a layer; its Leaflet layer (hit.layer) is made when first
  // asked for (a marker, or a layer switched off).
  // What the search matches (key) is worded at the first search, not for every feature on
  // opening.
  function Hit(spec, group, f) {
    this.id = f.i || '';
    this.kind = spec.kind;
    this.group = group;
    this.f = f;
    this.proposal = !!spec.proposal;
  }
  Object.defineProperties(Hit.prototype, {
    layer: {get: function () { return this.group.gpLayerOf(this.f); }},
    label: {get: function () { return title(this.f); }},
    key: {get: function () {
      if (this.gpKey === undefined) { this.gpKey = (title(this.f) + ' ' + this.id).toLowerCase(); }
      return this.gpKey;
    }}
  });
  // A layer switched off on opening is built (its features decoded, its paths and markers
  // made) only when it is first wanted: switched on, or asked for its layers.
  var Overlay = L.FeatureGroup.extend({
    gpBuilt: true,
    gpBuild: function () {},
    onAdd: function (map) {
      this.gpBuild();
      L.FeatureGroup.prototype.onAdd.call(this, map);
    },
    eachLayer: function (method, context) {
      this.gpBuild();
      return L.FeatureGroup.prototype.eachLayer.call(this, method, context);
    }
  });
  GP.layer = function (id) {
    var spec = GP.data.layers[id];
    var group = new Overlay();
    var features = spec.features, popupSpec = spec, searchable = spec.search;
    if (spec.type === 'derived') {
      popupSpec = GP.data.layers[spec.source];
      features = popupSpec.features.filter(function (f) { return f[spec.flag]; });
      searchable = false;
    }
    var layerOf = new Map();  // feature → its Leaflet layer (a marker, or its batch)
    if (spec.type === 'marker') {
      markers(group, spec, features, layerOf);
    } else {
      group.gpLayerOf = function (f) { group.gpBuild(); return layerOf.get(f); };
      group.gpBuilt = false;
      group.gpBuild = function () {
        if (group.gpBuilt) { return; }
        group.gpBuilt = true;
        shapes(spec, features).forEach(function (pair) {
          group.addLayer(pair[0]);
          pair[1].forEach(function (f) { layerOf.set(f, pair[0]); });
        });
      };
      if (spec.show !== false) { group.gpBuild(); }
    }
    if (searchable) {
      features.forEach(function (f) { GP.index.push(new Hit(spec, group, f)); });
    }
    // One popup and one tooltip per layer, not per feature: Leaflet opens them on the layer
    // clicked or under the mouse, and they show its feature (a batch's: the one hit).
    function featureOf(layer) { return layer.gpFeature || layer.gpHit; }
    if (popupSpec.rows) {
      group.bindPopup(function (layer) { return popup(popupSpec, featureOf(layer)); },
                      GP.popupOptions);
    }
    if (spec.tip && (!spec.style || spec.style.interactive !== false)) {
      group.bindTooltip(function (layer) {
        layer.gpShown = featureOf(layer);
        return tip(spec, layer.gpShown);
      }, {sticky: true});
      // within a batch the mouse goes from one feature to the next without leaving the layer:
      // the tooltip follows
      group.on('mousemove', function (e) {
        var box = group.getTooltip();
        if (box && box._source === e.layer && e.layer.gpHit && e.layer.gpShown !== e.layer.gpHit &&
            GP.map.hasLayer(box)) {
          box.update();
        }
      });
    }
    GP.layers[id] = group;
    if (spec.z !== undefined) {
      group.gpZ = spec.z;
      group.on('add', function () { restack(group); });
    }
    return group;
  };
  GP.focus = function (hit) {
    var map = GP.map;
    if (!map.hasLayer(hit.group)) { map.addLayer(hit.group); }
    var layer = hit.layer;
    if (layer.getLatLng) {
      map.setView(layer.getLatLng(), Math.max(map.getZoom(), 16), {animate: false});
      GP.open(hit, 'popup');
    } else {
      var bounds = hit.f.ll ? L.latLngBounds(hit.f.ll) : layer.getBounds();
      map.fitBounds(bounds, {maxZoom: 17, padding: [40, 40], animate: false});
      GP.open(hit, 'popup', L.latLng(hit.f.c));
    }
  };
  // Open the popup (or the tooltip) of a search hit's feature: its layer's, on that feature, as
  // Leaflet does itself on a click or hover (the feature's layer is the popup's _source; a
  // batch shows the feature it holds as hit).
  GP.open = function (hit, kind, latlng) {
    var box = kind === 'tooltip' ? hit.group.getTooltip() : hit.group.getPopup();
    if (!box) { return; }
    var layer = hit.layer;
    if (!layer.gpFeature) { layer.gpHit = hit.f; }
    box._source = layer;
    if (kind === 'tooltip') { hit.group.openTooltip(latlng); } else { hit.group.openPopup(latlng); }
  };
  GP.search = function (map, texts) {
    var Search = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var box = el('div', 'gp-search leaflet-control');
        var input = el('input');
        input.type = 'search';
        input.placeholder = texts.placeholder;
        input.setAttribute('aria-label', texts.placeholder);
        var list = el('ul');
        box.appendChild(input);
        box.appendChild(list);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var hits = [];
        function show() {
          list.textContent = '';
          var q = input.value.trim().toLowerCase();
          if (!q) { hits = []; return; }
          // a proposal is found only while its layer is on (it is a proposal, not the map);
          // what the map shows first; a hit in another layer switched off says so (a click
          // shows it)
          var found = GP.index.filter(function (h) {
            return h.key.indexOf(q) >= 0 && (!h.proposal || map.hasLayer(h.group));
          });
          hits = found.filter(function (h) { return map.hasLayer(h.group); }).concat(
            found.filter(function (h) { return !map.hasLayer(h.group); })).slice(0, 12);
          if (!hits.length) { list.appendChild(el('li', 'gp-none', texts.none)); return; }
          hits.forEach(function (h) {
            var li = el('li', null, h.label);
            if (h.id && h.id !== h.label) { li.appendChild(el('span', 'gp-tag', h.id)); }
            li.appendChild(el('span', 'gp-tag', h.kind));
            if (!map.hasLayer(h.group)) {
              li.appendChild(el('span', 'gp-tag gp-hidden', texts.layer_hidden));
            }
            li.addEventListener('click', function () {
              GP.focus(h);
              // after this click: an item taken out of the page now would let the click
              // through to the map (Leaflet looks for the search box among its parents), which
              // closes the popup just opened. On a phone the list makes way for the popup.
              window.setTimeout(GP.compact ? function () { list.textContent = ''; } : show, 0);
            });
            list.appendChild(li);
          });
        }
        input.addEventListener('input', show);
        input.addEventListener('keydown', function (e) {
          if (e.key === 'Enter' && hits.length) { GP.focus(hits[0]); }
        });
        return box;
      }
    });
    var control = new Search().addTo(map);
    var corner = control.getContainer().parentNode;  // first in its corner: above the zoom
    corner.insertBefore(control.getContainer(), corner.firstChild);
    return control;
  };
  function button(cls, label, title) {
    var b = el('button', 'gp-button ' + cls, label);
    b.type = 'button';
    b.title = title || label;
    b.setAttribute('aria-label', title || label);
    return b;
  }
  GP.panel = function (map, id, position, texts) {
    // the legend: open on a wide screen; on a phone behind its button (GP.controls)
    var node = document.getElementById(id);
    var Panel = L.Control.extend({
      options: {position: position},
      onAdd: function () {
        var box = el('div', 'gp-panel leaflet-control');
        var open = button('gp-open-button leaflet-bar', texts.legend_button);
        open.setAttribute('aria-expanded', 'false');
        open.addEventListener('click', function () { GP.openPanel(box.classList.contains('gp-open') ? null : box); });
        box.appendChild(open);
        node.hidden = false;
        box.appendChild(node);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Panel().addTo(map);
  };
  GP.note = function (map, id, texts) {
    // the data note: closable; on a phone folded to one line until tapped
    var node = document.getElementById(id);
    var Note = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        node.hidden = false;
        node.classList.add('leaflet-control');
        var close = button('gp-close', '×', texts.close);
        close.addEventListener('click', function () { node.hidden = true; GP.fit(); });
        node.insertBefore(close, node.firstChild);
        node.addEventListener('click', function (e) {
          if (e.target !== close) { node.classList.toggle('gp-open'); }
        });
        L.DomEvent.disableClickPropagation(node);
        L.DomEvent.disableScrollPropagation(node);
        return node;
      }
    });
    return new Note().addTo(map);
  };
  GP.openPanel = function (panel) {
    // one panel open at a time on a phone: the legend or the layer control (or none)
    if (GP.legend) {
      var box = GP.legend.getContainer(), on = panel === box;
      box.classList.toggle('gp-open', on);
      box.querySelector('.gp-open-button').setAttribute('aria-expanded', String(on));
    }
    if (GP.layerControl && GP.compact) {
      if (panel === GP.layerControl) { GP.layerControl.expand(); } else { GP.layerControl.collapse(); }
    }
    GP.fit();
  };
  GP.fit = function () {
    // the legend ends above the controls at the bottom (attribution; on a phone the note too)
    var map = GP.map, legend = GP.legend && GP.legend.getContainer().querySelector('.gp-legend');
    if (!legend || !legend.offsetParent) { return; }
    var box = map.getContainer().getBoundingClientRect();
    var corners = GP.compact ? ['.leaflet-bottom.leaflet-right', '.leaflet-bottom.leaflet-left']
                             : ['.leaflet-bottom.leaflet-right'];
    var reserve = 0;
    corners.forEach(function (sel) {
      var corner = map.getContainer().querySelector(sel);
      if (corner) { reserve = Math.max(reserve, corner.offsetHeight); }
    });
    var top = legend.getBoundingClientRect().top - box.top;
    legend.style.maxHeight = Math.max(120, Math.floor(box.height - top - reserve - 10)) + 'px';
  };
  GP.layout = function () {
    // the compact layout on a phone or narrow window, the open one on a wide screen
    var map = GP.map, compact = isCompact(map);
    GP.compact = compact;
    map.getContainer().classList.toggle('gp-compact', compact);
    if (GP.layerControl) {
      GP.layerControl.options.collapsed = compact;  // Leaflet re-expands it when not
      if (compact) { GP.layerControl.collapse(); } else { GP.layerControl.expand(); }
    }
    if (compact) { GP.openPanel(null); }
    GP.fit();
  };
  GP.controls = function (map, layerControl, options) {
    var texts = options.texts;
    map.attributionControl.setPrefix(false);  // a government one-map: no Leaflet flag
    L.control.scale({metric: true, imperial: false}).addTo(map);
    GP.search(map, texts);
    GP.layerControl = layerControl;
    if (layerControl) {
      var link = layerControl.getContainer().querySelector('.leaflet-control-layers-toggle');
      link.title = texts.layers_button;
      link.setAttribute('aria-label', texts.layers_button);
      link.addEventListener('click', function () { GP.openPanel(layerControl); });
    }
    GP.legend = GP.panel(map, options.legend, 'topright', texts);
    if (options.note) { GP.note(map, options.note, texts); }
    map.on('preclick', function () {  // any tap on the map, on a feature too
      if (GP.compact) {
        GP.openPanel(null);
        var note = options.note && document.getElementById(options.note);
        if (note) { note.classList.remove('gp-open'); }
      }
    });
    map.on('resize', GP.layout);
    GP.layout();
  };
  GP.ready = function () {
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        window.__mapReadyMs = performance.now();
        window.__mapReady = true;
        document.documentElement.setAttribute('data-map-ready', 'true');
      });
    });
  };
})();
