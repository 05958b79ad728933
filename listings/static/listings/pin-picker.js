/* Host admin: a map under the listing's coordinates. A click (or dragging the pin) fills
 * latitude and longitude; typing them moves the pin; with both empty the map shows the chosen
 * neighborhood, where the space is pinned if left so. Settings come in data-* attributes
 * (no inline script: the site's CSP forbids it). Without JavaScript the two inputs remain. */
(function () {
  "use strict";

  var FRONT_RANGE = [39.87, -105.1]; /* between Boulder and Denver */

  function round(x) {
    return Math.round(x * 1e6) / 1e6;
  }

  function start() {
    var el = document.querySelector("[data-pin-picker]");
    var lat = document.getElementById("id_latitude");
    var lng = document.getElementById("id_longitude");
    var hood = document.getElementById("id_neighborhood");
    if (!el || !lat || !lng || !window.L) {
      return;
    }
    var centres = {};
    try {
      centres = JSON.parse(el.dataset.centres || "{}");
    } catch (err) {
      centres = {};
    }
    el.hidden = false;
    var hint = document.querySelector("[data-pin-picker-hint]");
    if (hint) {
      hint.hidden = false;
    }
    var L = window.L;
    var map = L.map(el, { scrollWheelZoom: false });
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
    var icon = L.icon({
      iconUrl: el.dataset.iconUrl,
      iconRetinaUrl: el.dataset.icon2xUrl,
      shadowUrl: el.dataset.shadowUrl,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      shadowSize: [41, 41],
    });
    var marker = null;

    function typed() {
      var a = parseFloat(lat.value);
      var b = parseFloat(lng.value);
      return isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180 ? [a, b] : null;
    }

    function place(point, fill) {
      if (!marker) {
        marker = L.marker(point, { icon: icon, draggable: true, title: "The space", alt: "The space" });
        marker.addTo(map);
        marker.on("dragend", function () {
          place(marker.getLatLng(), true);
        });
      }
      marker.setLatLng(point);
      if (fill) {
        var p = L.latLng(point);
        lat.value = round(p.lat);
        lng.value = round(p.lng);
      }
    }

    function showNeighborhood() {
      var centre = hood && centres[hood.value];
      map.setView(centre || FRONT_RANGE, centre ? 14 : 10);
    }

    var first = typed();
    if (first) {
      map.setView(first, 15);
      place(first, false);
    } else {
      showNeighborhood();
    }
    map.on("click", function (event) {
      place(event.latlng, true);
    });
    [lat, lng].forEach(function (input) {
      input.addEventListener("change", function () {
        var point = typed();
        if (point) {
          place(point, false);
          map.setView(point);
        }
      });
    });
    if (hood) {
      hood.addEventListener("change", function () {
        if (!typed()) {
          showNeighborhood();
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
