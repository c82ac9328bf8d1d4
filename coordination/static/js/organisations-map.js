// Organisations map: fetch compact points for the current filters and cluster them client-side.
// Labels arrive through geo.safe_text (HTML entities), so they are inert when Leaflet sets innerHTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var pointsUrl = script.getAttribute("data-points-url");
  var recordBase = script.getAttribute("data-record-url");
  var status = document.getElementById("map-status");
  var canvas = document.querySelector(".folium-map");
  if (!canvas || !window.L || !L.markerClusterGroup) { return; }
  var map = window[canvas.id];
  if (!map) { return; }
  // Clustering needs a maximum zoom; without a tile layer (no basemap configured) Leaflet has none.
  if (!isFinite(map.getMaxZoom())) { map.options.maxZoom = 18; }

  function popup(point) {
    return function () {
      return '<a class="govuk-link" href="' + recordBase + String(Number(point[2])) + '">' + String(point[3]) + "</a>";
    };
  }

  fetch(pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
      var markers = [];
      for (var i = 0; i < data.points.length; i++) {
        var point = data.points[i];
        var marker = L.circleMarker([point[0], point[1]], {
          radius: 7, color: "#0b0c0c", weight: 1, fillColor: "#1d70b8", fillOpacity: 0.9
        });
        marker.bindPopup(popup(point));
        markers.push(marker);
      }
      cluster.addLayers(markers);
      map.addLayer(cluster);
      canvas.setAttribute("data-points-loaded", String(markers.length));
    })
    .catch(function (error) {
      if (window.console) { console.error("organisations map: " + error); }
      if (status) { status.textContent = "The organisations could not be loaded onto the map. Use the list instead."; }
    });
})();
