
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
      if (row.t === 'range') {
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
    return L.marker(f.c, {
      icon: L.divIcon({className: 'gp-site', html: flag, iconSize: [w, h],
                       iconAnchor: spec.badge === 'left' ? [w + gap, h / 2] : [-gap, h / 2]}),
      pane: spec.pane, riseOnHover: true, keyboard: false
    });
  }
  function marker(spec, f) {
    if (spec.badge) { return badge(spec, f); }
    var d = f.z || 20;
    var pin = el('span', 'gp-pin' + (f.pl ? ' gp-planned' : ''),
                 spec.icons[f.k] || spec.icons.other);
    pin.style.fontSize = Math.max(10, Math.round(d * 0.5)) + 'px';
    return L.marker(f.c, {
      icon: L.divIcon({className: 'gp-marker', html: pin, iconSize: [d, d]}),
      pane: spec.pane, riseOnHover: true, keyboard: false
    });
  }
  GP.init = function (map, dataId) {
    GP.map = map;
    GP.data = JSON.parse(document.getElementById(dataId).textContent);
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
    if (GP.data.bounds) {
      // keep the planning area clear of the layer control and legend on wide screens
      var wide = map.getSize().x > 900;
      map.fitBounds(GP.data.bounds, {paddingTopLeft: [12, 12],
                                     paddingBottomRight: [wide ? 320 : 12, 12], animate: false});
    }
  };
  GP.layer = function (id) {
    var spec = GP.data.layers[id];
    var group = L.featureGroup();
    var features = spec.features, popupSpec = spec, searchable = spec.search;
    if (spec.type === 'derived') {
      popupSpec = GP.data.layers[spec.source];
      features = popupSpec.features.filter(function (f) { return f[spec.flag]; });
      searchable = false;
    }
    features.forEach(function (f) {
      var layer;
      if (spec.type === 'marker') {
        layer = marker(spec, f);
      } else {
        layer = L.GeoJSON.geometryToLayer({type: 'Feature', geometry: f.g, properties: {}},
                                          spec.type === 'derived'
                                            ? L.Util.extend({pane: spec.pane}, spec.style)
                                            : style(spec, f));
      }
      if (!layer) { return; }
      if (popupSpec.rows) {
        layer.bindPopup(function () { return popup(popupSpec, f); },
                        {maxWidth: 380, maxHeight: 460, autoPanPadding: [20, 20]});
      }
      if (spec.tip && (!spec.style || spec.style.interactive !== false)) {
        layer.bindTooltip(function () { return tip(spec, f); }, {sticky: true});
      }
      layer.gpFeature = f;
      group.addLayer(layer);
      if (searchable) {
        GP.index.push({key: (title(f) + ' ' + (f.i || '')).toLowerCase(), label: title(f),
                       id: f.i || '', kind: spec.kind, layer: layer, group: group, f: f});
      }
    });
    GP.layers[id] = group;
    return group;
  };
  GP.focus = function (hit) {
    var map = GP.map;
    if (!map.hasLayer(hit.group)) { map.addLayer(hit.group); }
    if (hit.layer.getBounds) {
      map.fitBounds(hit.layer.getBounds(), {maxZoom: 17, padding: [40, 40], animate: false});
    } else {
      map.setView(hit.layer.getLatLng(), Math.max(map.getZoom(), 16), {animate: false});
    }
    hit.layer.openPopup(hit.layer.getBounds ? L.latLng(hit.f.c) : undefined);
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
          hits = GP.index.filter(function (h) { return h.key.indexOf(q) >= 0; }).slice(0, 12);
          if (!hits.length) { list.appendChild(el('li', 'gp-none', texts.none)); return; }
          hits.forEach(function (h) {
            var li = el('li', null, h.label);
            if (h.id && h.id !== h.label) { li.appendChild(el('span', 'gp-tag', h.id)); }
            li.appendChild(el('span', 'gp-tag', h.kind));
            li.addEventListener('click', function () { GP.focus(h); });
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
    return new Search().addTo(map);
  };
  GP.panel = function (map, id, position) {
    var node = document.getElementById(id);
    var Panel = L.Control.extend({
      options: {position: position},
      onAdd: function () {
        node.hidden = false;
        L.DomEvent.disableClickPropagation(node);
        L.DomEvent.disableScrollPropagation(node);
        return node;
      }
    });
    return new Panel().addTo(map);
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
