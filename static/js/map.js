/* PivotDesk maps: Leaflet (vendored in static/vendor/leaflet/) draws the pins listed in a
 * <script type="application/json"> block. No inline script: every value arrives through
 * data-* attributes or JSON, so a Content-Security-Policy can forbid inline script.
 * Without JavaScript the map stays hidden and the page's own lists carry the same places. */
(function () {
  "use strict";

  function popupFor(pin) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = pin.url;
    link.textContent = pin.title;
    box.appendChild(link);
    if (pin.price) {
      var price = document.createElement("div");
      price.textContent = pin.price;
      box.appendChild(price);
    }
    return box;
  }

  function draw(el) {
    var data = document.getElementById(el.dataset.pins);
    var pins = [];
    try {
      pins = data ? JSON.parse(data.textContent) : [];
    } catch (err) {
      return;
    }
    if (!window.L || !pins.length) {
      return;
    }
    el.hidden = false;
    var map = window.L.map(el, { scrollWheelZoom: false });
    window.L.tileLayer(el.dataset.tileUrl, {
      attribution: el.dataset.attribution,
      maxZoom: 19,
    }).addTo(map);
    // Explicit icon URLs: Leaflet's own guess breaks on hashed (manifest) static names.
    var icon = window.L.icon({
      iconUrl: el.dataset.iconUrl,
      iconRetinaUrl: el.dataset.icon2xUrl,
      shadowUrl: el.dataset.shadowUrl,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      shadowSize: [41, 41],
    });
    var points = pins.map(function (pin) {
      window.L.marker([pin.lat, pin.lng], { icon: icon, title: pin.title, alt: pin.title })
        .addTo(map)
        .bindPopup(popupFor(pin));
      return [pin.lat, pin.lng];
    });
    if (points.length === 1) {
      map.setView(points[0], 15);
    } else {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-map]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
