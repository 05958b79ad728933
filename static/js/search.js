/* Search filters, progressively enhanced: once a city is chosen, the neighborhood list shows
 * only that city's neighborhoods. Without JavaScript the list is grouped by city (optgroups)
 * and the server ignores, with a note, a neighborhood outside the chosen city. */
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

  function start() {
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
