/* Maps at home on a phone and by keyboard (inlined once per page by geo.maps.render_parts).

   GeoMaps.setup(map, config) gives a Folium map:
   * one "Map key" control holding the choice of shading, the colour key and the marker switch,
     closed by default when the map is narrower than a tablet;
   * areas reachable with Tab: each announces its name and figures, Enter opens its page;
   * the figures of the area being read in a panel below the map (on a phone the floating tooltip,
     which would cover the area, is switched off and a tap shows the figures there instead);
   * GeoMaps.clusterIcon: marker clusters showing what they hold (engaged or not), not their size.
   Property strings arrive through geo.safe_text (HTML character references); they are decoded and
   always set as text, never as HTML. */
var GeoMaps = window.GeoMaps || (function () {
  "use strict";
  var NARROW = 641;
  var ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&#96;": "`",
                  "&#36;": "$", "&#92;": "\\", "&#123;": "{", "&#125;": "}"};
  var counter = 0;

  function decode(value) {
    return String(value).replace(/&(?:amp|lt|gt|quot|#39|#96|#36|#92|#123|#125);/g, function (m) {
      return ENTITIES[m];
    });
  }

  function el(tag, className, parent, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function isNarrow(map) { return map.getContainer().clientWidth < NARROW; }

  function drawLegend(parent, legend) {
    if (!legend) { return; }
    if (legend.title) { el("p", "geo-legend__title", parent, legend.title); }
    var list = el("ul", "geo-legend__list", parent);
    (legend.items || []).forEach(function (item) {
      var li = el("li", "geo-legend__item", list);
      var swatch = el("span", "geo-legend__swatch" + (item[2] ? " geo-legend__swatch--" + item[2] : ""), li);
      swatch.setAttribute("aria-hidden", "true");
      if (item[0]) { swatch.style.backgroundColor = item[0]; }
      if (item[3]) { swatch.style.borderColor = item[3]; }
      el("span", "", li, item[1]);
    });
    if (legend.note) { el("p", "geo-legend__note", parent, legend.note); }
  }

  function describe(props, fields) {
    var parts = [];
    fields.forEach(function (field, index) {
      var value = props[field[0]];
      if (value === null || value === undefined || value === "") { return; }
      parts.push(index === 0 ? decode(value) : field[1] + ": " + decode(value));
    });
    return parts.join("; ");
  }

  function setup(map, config) {
    var id = "geo-map-" + (++counter);
    var fields = config.fields || [["name", "Name"]];
    var links = config.links || {};
    var noun = config.noun || "area";
    var article = /^[aeiou]/i.test(noun) ? "an " : "a ";
    var container = map.getContainer();
    var current = null;
    var tooltips = [];

    container.setAttribute("aria-label", "Map. Arrow keys move it, plus and minus zoom; Tab moves through the " +
                           noun + "s" + (Object.keys(links).length ? ", and Enter opens one's page." : "."));

    // The panel below the map where the figures of the area being read are shown.
    var canvas = container.parentNode;
    var details = el("div", "geo-details");
    details.id = id + "-details";
    canvas.parentNode.insertBefore(details, canvas.nextSibling);
    function hint() {
      details.textContent = "";
      el("p", "geo-details__hint", details, "Select " + article + noun + " on the map, or press Tab to move through them, " +
         "to see its figures here.");
    }
    function showDetails(props) {
      details.textContent = "";
      var name = decode(props[fields[0][0]] || "");
      el("h3", "geo-details__title", details, name);
      var list = el("dl", "geo-details__list", details);
      fields.slice(1).forEach(function (field) {
        var value = props[field[0]];
        if (value === null || value === undefined || value === "") { return; }
        var row = el("div", "geo-details__row", list);
        el("dt", "geo-details__key", row, field[1]);
        el("dd", "geo-details__value", row, decode(value));
      });
      if (links[props.code]) {
        var link = el("a", "govuk-link geo-details__link", el("p", "", details), "Open " + name + "’s page");
        link.href = links[props.code];
      }
    }
    hint();

    // One key: the choice of shading, its colours and the marker switch, closed on a phone. A map with
    // nothing to explain (plain outlines, no markers of ours) has no key.
    var key = L.control({position: "topright"});
    var panel = {hidden: true}, legendBox = el("div");
    var needsKey = (config.overlays || []).length > 0 || (config.layers || []).length > 1 ||
      (config.layers || []).some(function (entry) { return entry.legend; });
    key.onAdd = function () {
      var box = L.DomUtil.create("div", "geo-key");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var toggle = el("button", "geo-key__toggle", box, config.keyTitle || "Map key");
      toggle.type = "button";
      panel = el("div", "geo-key__panel", box);
      panel.id = id + "-key";
      toggle.setAttribute("aria-controls", panel.id);
      function setOpen(open) {
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        panel.hidden = !open;
        box.classList.toggle("geo-key--open", open);
        fitKey();
      }
      toggle.addEventListener("click", function () { setOpen(panel.hidden); });
      setOpen(!isNarrow(map));
      var layers = config.layers || [];
      if (layers.length > 1) {
        var fieldset = el("fieldset", "geo-key__choices", panel);
        el("legend", "geo-key__legend", fieldset, config.choiceTitle || "Shade by");
        layers.forEach(function (entry, index) {
          var row = el("div", "geo-key__choice", fieldset);
          var input = el("input", "", row);
          input.type = "radio";
          input.name = id + "-layer";
          input.id = id + "-layer-" + index;
          input.checked = index === 0;
          input.addEventListener("change", function () { if (input.checked) { showLayer(index); } });
          var label = el("label", "", row, entry.name);
          label.htmlFor = input.id;
        });
      }
      legendBox = el("div", "geo-legend", panel);
      (config.overlays || []).forEach(function (entry, index) {
        var row = el("div", "geo-key__overlay", panel);
        var input = el("input", "", row);
        input.type = "checkbox";
        input.id = id + "-overlay-" + index;
        input.checked = true;
        input.addEventListener("change", function () {
          if (input.checked) { map.addLayer(entry.layer); } else { map.removeLayer(entry.layer); }
        });
        var label = el("label", "", row, entry.name);
        label.htmlFor = input.id;
        if (entry.legend) { drawLegend(el("div", "geo-legend geo-legend--overlay", panel), entry.legend); }
      });
      return box;
    };
    if (needsKey) { key.addTo(map); }

    function fitKey() {
      // The open key scrolls inside the map rather than running under the attribution.
      var box = key.getContainer && key.getContainer();
      if (box) { box.style.maxHeight = Math.max(map.getSize().y - 60, 120) + "px"; }
    }
    fitKey();
    map.on("resize", fitKey);

    function bindShapes(layer) {
      layer.eachLayer(function (shape) {
        var path = shape.getElement && shape.getElement();
        if (!path || path.getAttribute("data-geo-bound")) { return; }
        path.setAttribute("data-geo-bound", "1");
        var props = (shape.feature && shape.feature.properties) || {};
        var link = links[props.code];
        path.setAttribute("tabindex", "0");
        path.setAttribute("role", link ? "link" : "img");
        path.setAttribute("aria-label", describe(props, fields) + (link ? ". Opens its page" : ""));
        if (link) { path.style.cursor = "pointer"; }
        path.addEventListener("focus", function () {
          // Not bringToFront(): moving the element in the page would take the focus off it.
          shape.setStyle({weight: 4});
          showDetails(props);
        });
        path.addEventListener("blur", function () { layer.resetStyle(shape); });
        path.addEventListener("keydown", function (event) {
          if (link && (event.key === "Enter" || event.key === " ")) {
            event.preventDefault();
            window.location.assign(link);
          }
        });
        shape.on("click", function () {
          // On a phone the first tap shows the figures below the map (with a link); elsewhere a click opens it.
          if (link && !isNarrow(map)) { window.location.assign(link); return; }
          showDetails(props);
        });
        shape.on("mouseover", function () { if (!isNarrow(map)) { showDetails(props); } });
      });
    }

    function fitTooltips() {
      // On a phone a floating tooltip covers the area being read; its figures go below the map instead.
      var narrow = isNarrow(map);
      tooltips.forEach(function (entry) {
        if (narrow && entry.layer.getTooltip()) { entry.layer.unbindTooltip(); }
        if (!narrow && !entry.layer.getTooltip()) { entry.layer.bindTooltip(entry.tooltip); }
      });
    }

    function showLayer(index) {
      (config.layers || []).forEach(function (entry, i) {
        if (i !== index && map.hasLayer(entry.layer)) { map.removeLayer(entry.layer); }
      });
      var entry = config.layers[index];
      if (!map.hasLayer(entry.layer)) { map.addLayer(entry.layer); }
      (config.overlays || []).forEach(function (o) { if (map.hasLayer(o.layer) && o.layer.bringToFront) { o.layer.bringToFront(); } });
      bindShapes(entry.layer);
      legendBox.textContent = "";
      drawLegend(legendBox, entry.legend);
      current = index;
    }

    (config.layers || []).forEach(function (entry) {
      if (entry.layer.getTooltip && entry.layer.getTooltip()) {
        tooltips.push({layer: entry.layer, tooltip: entry.layer.getTooltip()});
      }
    });
    if ((config.layers || []).length) { showLayer(0); }
    // On a wide screen the open key sits over the east of the map: keep what was in view clear of it.
    if (needsKey && !isNarrow(map) && !panel.hidden) {
      map.panBy([Math.round(key.getContainer().offsetWidth / 2), 0], {animate: false});
    }
    fitTooltips();
    map.on("resize", fitTooltips);
    return {details: details, current: function () { return current; }};
  }

  // Marker clusters coloured by what they hold: a thick green arc for the share engaged over a thin
  // orange ring for the rest (thickness, not only colour, tells them apart), with the count inside.
  function clusterIcon(cluster) {
    var markers = cluster.getAllChildMarkers();
    var engaged = 0;
    markers.forEach(function (m) { if (m.options.engaged) { engaged += 1; } });
    var total = markers.length;
    var share = Math.round(100 * engaged / total);
    var size = total < 10 ? 36 : total < 100 ? 42 : 50;
    var box = document.createElement("div");
    box.className = "geo-cluster";
    box.style.width = box.style.height = size + "px";
    box.style.background = "conic-gradient(#00703c 0 " + share + "%, transparent " + share + "% 100%), " +
      "radial-gradient(circle, transparent 54%, #f47738 55%, #f47738 68%, transparent 69%)";
    var inner = el("span", "geo-cluster__count", box, String(total));
    inner.setAttribute("aria-hidden", "true");
    el("span", "geo-visually-hidden", box, total + " organisations: " + engaged + " engaged, " +
       (total - engaged) + " not engaged. Select to zoom in.");
    box.title = engaged + " engaged, " + (total - engaged) + " not engaged";
    return L.divIcon({html: box.outerHTML, className: "geo-cluster-icon", iconSize: L.point(size, size)});
  }

  return {setup: setup, clusterIcon: clusterIcon, decode: decode};
})();
window.GeoMaps = GeoMaps;
