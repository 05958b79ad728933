/* Search filters, progressively enhanced: once a city is chosen, the neighborhood list shows
 * only that city's neighborhoods. Without JavaScript the list is grouped by city (optgroups)
 * and the server ignores, with a note, a neighborhood outside the chosen city.
 * On a narrow screen the filters (stacked above the results) start folded, unless one has
 * an error to show; on a wide one they are always open. */
(function () {
  "use strict";

  function follow(city, hood) {
    var chosen = city.options[city.selectedIndex];
    var name = chosen && chosen.value ? chosen.textContent.trim() : "";
    Array.prototype.forEach.call(hood.querySelectorAll("optgroup"), function (group) {
      var other = name !== "" && group.label !== name;
      group.hidden = other;
      group.disabled = other;
    });
    var picked = hood.options[hood.selectedIndex];
    if (picked && picked.parentNode.disabled) {
      hood.value = "";
    }
  }

  var NARROW = "(max-width: 900px)"; /* the CSS's breakpoint for the stacked layout */

  function fold(panel) {
    var narrow = window.matchMedia(NARROW);
    if (narrow.matches && !panel.querySelector("[aria-invalid='true']")) {
      panel.open = false;
    }
    narrow.addEventListener("change", function () {
      if (!narrow.matches) {
        panel.open = true; /* the summary is hidden there: never leave them shut */
      }
    });
  }

  function start() {
    var panel = document.querySelector("[data-filters-panel]");
    if (panel) {
      fold(panel);
    }
    var city = document.querySelector("[data-city-select]");
    var hood = document.querySelector("[data-neighborhood-select]");
    if (!city || !hood) {
      return;
    }
    follow(city, hood);
    city.addEventListener("change", function () {
      follow(city, hood);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
