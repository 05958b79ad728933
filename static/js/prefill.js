/* "Request desks" prefilled from the search: a search page names its valid desks and move-in
 * (data-prefill, e.g. "?desks=2&move_in=2027-01-04", empty when it has none); they are kept
 * for this tab's visit and added to the listing page's "Request desks" link. Card links stay
 * exactly the listing's URL, so every search shares one cached copy of each listing page.
 * Without JavaScript the booking form starts empty; a listing URL that carries the query
 * itself (a shared link) is prefilled by the server. */
(function () {
  "use strict";

  var KEY = "pivotdesk:prefill";
  var SAFE = /^\?(desks=\d+|move_in=\d{4}-\d{2}-\d{2})(&(desks=\d+|move_in=\d{4}-\d{2}-\d{2}))?$/;

  function remember(query) {
    try {
      if (SAFE.test(query)) {
        window.sessionStorage.setItem(KEY, query);
      } else {
        window.sessionStorage.removeItem(KEY);
      }
    } catch (e) {
      /* storage off (private mode, policy): the form just starts empty */
    }
  }

  function recall() {
    try {
      var query = window.sessionStorage.getItem(KEY) || "";
      return SAFE.test(query) ? query : "";
    } catch (e) {
      return "";
    }
  }

  function start() {
    var results = document.querySelector("[data-prefill]");
    if (results) {
      remember(results.getAttribute("data-prefill"));
    }
    var link = document.querySelector("[data-book-link]");
    var query = recall();
    if (link && query && link.getAttribute("href").indexOf("?") === -1) {
      link.setAttribute("href", link.getAttribute("href") + query);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
