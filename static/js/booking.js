/* The booking form: the price follows the desks and months as they are typed, the "what you
 * pay" block follows the desks (the server's block for them, from data-cost-url: the all-in
 * rule lives in one place), and the submit button disables itself while the request is on
 * its way (a double click sends one request; the server refuses a second one anyway). */
(function () {
  "use strict";

  var USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

  function count(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function whole(input) {
    return /^\d+$/.test(input.value.trim()) ? parseInt(input.value, 10) : NaN;
  }

  function start() {
    var form = document.querySelector("[data-booking-form]");
    var quote = document.querySelector("[data-quote]");
    if (!form || !quote) {
      return;
    }
    var cents = parseInt(quote.dataset.priceCents, 10);
    var maxDesks = parseInt(quote.dataset.maxDesks, 10);
    var minMonths = parseInt(quote.dataset.minMonths, 10);
    var maxMonths = parseInt(quote.dataset.maxMonths, 10);
    var desks = form.elements.desks;
    var months = form.elements.months;

    function update() {
      var d = whole(desks);
      var m = whole(months);
      if (!(d >= 1 && d <= maxDesks && m >= minMonths && m <= maxMonths)) {
        quote.textContent = "Enter between 1 and " + count(maxDesks, "desk") + " and a term of " +
          minMonths + " to " + maxMonths + " months to see the price.";
        return;
      }
      quote.textContent = count(d, "desk") + ": " + USD.format((cents * d) / 100) +
        " per month, " + USD.format((cents * d * m) / 100) + " for " + count(m, "month") + ".";
    }

    desks.addEventListener("input", update);
    months.addEventListener("input", update);
    update();

    var cost = document.querySelector("[data-cost]");
    var shown = whole(desks);
    var timer = null;
    var pending = null;

    function refreshCost() {
      var d = whole(desks);
      if (!cost || !(d >= 1 && d <= maxDesks) || d === shown) {
        return;
      }
      if (pending) {
        pending.abort(); /* only the latest answer is shown */
      }
      pending = new AbortController();
      fetch(cost.dataset.costUrl + "?desks=" + d, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: pending.signal
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("cost " + response.status);
        }
        return response.text();
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("section");
        if (fresh && whole(desks) === d) {
          cost.replaceChildren(document.importNode(fresh, true));
          shown = d;
        }
      }).catch(function () {
        /* offline or aborted: the block keeps its last amounts; a submit shows the right ones */
      });
    }

    desks.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refreshCost, 250);
    });

    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    form.addEventListener("submit", function () {
      button.disabled = true;
      button.textContent = button.dataset.sendingLabel;
    });
    /* Back to this page from the next one: the button works again. */
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = label;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
