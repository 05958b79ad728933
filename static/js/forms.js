/* After a failed submit the page comes back with an error summary (includes/error_summary.html):
 * move the focus there, so a keyboard or screen-reader user starts at what went wrong instead
 * of at the top of the page. */
(function () {
  "use strict";

  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
