"""What the Leaflet maps read from data attributes (no inline script anywhere): the public
maps (static/js/map.js) and the host admin's pin picker (listings/pin-picker.js)."""

from django.conf import settings
from django.templatetags.static import static


def map_config() -> dict[str, str]:
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "icon_url": static("vendor/leaflet/images/marker-icon.png"),
        "icon_2x_url": static("vendor/leaflet/images/marker-icon-2x.png"),
        "shadow_url": static("vendor/leaflet/images/marker-shadow.png"),
    }
