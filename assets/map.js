/* The map pages' script, in the order the page ran them: Leaflet (it sets window.L), the map,
 * the search form's enhancement, the booking prefill. Bundled by esbuild (package.json's
 * "build") into static/dist/map.js. */
import "../static/vendor/leaflet/leaflet.js";
import "../static/js/map.js";
import "../static/js/search.js";
import "../static/js/prefill.js";
