// Organisations map: asks the server for the clusters (or, close in, the organisations) in the current view.
// Each view is a small request whatever the size of the directory. Names arrive through geo.safe_text
// (HTML entities), so they are inert when Leaflet sets innerHTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var clustersUrl = script.getAttribute("data-clusters-url");
  var recordBase = script.getAttribute("data-record-url");
  var status = document.getElementById("map-status");
  var summary = document.getElementById("map-view-summary");
  var canvas = document.querySelector(".folium-map");
  if (!canvas || !window.L) { return; }
  var map = window[canvas.id];
  if (!map) { return; }
  if (!isFinite(map.getMaxZoom())) { map.options.maxZoom = 19; }
  var layer = L.layerGroup().addTo(map);
  var latest = 0;

  function plural(n, one, many) { return n.toLocaleString("en-GB") + " " + (n === 1 ? one : many); }

  function accessible(marker, label) {
    // Leaflet makes keyboard markers focusable and turns Enter into a click; give them a name and a role.
    var element = marker.getElement();
    if (element) {
      element.setAttribute("aria-label", label);
      element.setAttribute("role", "button");
      // Enter or Space acts like a click (preventDefault also stops Leaflet's own keypress doing it twice).
      element.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          marker.fire("click");
        }
      });
    }
  }

  function clusterMarker(cluster) {
    var count = cluster[2];
    var size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 42 : 48;
    var label = plural(count, "organisation", "organisations") + " in this area: zoom in";
    var icon = L.divIcon({
      className: "app-map-cluster",
      html: '<span aria-hidden="true">' + count.toLocaleString("en-GB") + "</span>",
      iconSize: [size, size]
    });
    var marker = L.marker([cluster[0], cluster[1]], { icon: icon, keyboard: true, title: label, alt: label });
    marker.on("click", function () {
      var b = cluster[3];
      var bounds = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
      var target = Math.min(map.getBoundsZoom(bounds), map.getMaxZoom());
      map.setView([cluster[0], cluster[1]], Math.max(target, map.getZoom() + 1));
    });
    return [marker, label];
  }

  function placeMarker(place) {
    var members = place[2];
    var label = members.length === 1 ? String(members[0][1]) : plural(members.length, "organisation", "organisations") + " at this address";
    var icon = L.divIcon({
      className: "app-map-place" + (members.length > 1 ? " app-map-place--many" : ""),
      html: members.length > 1 ? '<span aria-hidden="true">' + members.length + "</span>" : "",
      iconSize: members.length > 1 ? [24, 24] : [16, 16]
    });
    // The title is plain text, so the entity-encoded name is decoded for it.
    var decoder = document.createElement("textarea");
    decoder.innerHTML = label;
    var marker = L.marker([place[0], place[1]], { icon: icon, keyboard: true, title: decoder.value, alt: decoder.value });
    marker.bindPopup(function () {
      return '<ul class="govuk-list app-map-popup">' + members.map(function (member) {
        return '<li><a class="govuk-link" href="' + recordBase + String(Number(member[0])) + '">' + String(member[1]) + "</a></li>";
      }).join("") + "</ul>";
    });
    return [marker, decoder.value + ": open details"];
  }

  function load() {
    var ticket = ++latest;
    var bounds = map.getBounds();
    var url = clustersUrl + (clustersUrl.indexOf("?") === -1 ? "?" : "&") + "zoom=" + map.getZoom() +
      "&bbox=" + [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map(function (v) {
        return v.toFixed(5);
      }).join(",");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (ticket !== latest) { return; }  // a newer view has been asked for
        layer.clearLayers();
        var shown = 0;
        data.clusters.forEach(function (cluster) {
          var made = clusterMarker(cluster);
          layer.addLayer(made[0]);
          accessible(made[0], made[1]);
        });
        data.places.forEach(function (place) {
          var made = placeMarker(place);
          layer.addLayer(made[0]);
          accessible(made[0], made[1]);
          shown += place[2].length;
        });
        canvas.setAttribute("data-view-loaded", String(data.total));
        canvas.setAttribute("data-view-zoom", String(data.zoom));
        if (summary) {
          summary.textContent = "In this view: " + plural(data.total, "organisation", "organisations") +
            (data.clusters.length ? ", in " + plural(data.clusters.length, "group", "groups") : "") +
            (shown && data.clusters.length ? " and " + plural(shown, "single organisation", "single organisations") : "") +
            (data.truncated ? ". There are too many to show here: zoom in further." : ".");
        }
      })
      .catch(function (error) {
        if (window.console) { console.error("organisations map: " + error); }
        if (status) { status.textContent = "The organisations could not be loaded onto the map. Use the list instead."; }
      });
  }

  map.on("moveend", load);
  load();
})();
