"""Absolute URLs and structured data for search engines and link previews."""

from collections.abc import Iterable

from django.conf import settings

from .models import Listing, Photo


def absolute_url(url: str) -> str:
    """``url`` made absolute with SITE_URL, unless it already is (e.g. media on S3)."""
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return f"{settings.SITE_URL.split('//', 1)[0]}{url}"
    return f"{settings.SITE_URL}{url if url.startswith('/') else '/' + url}"


def shown_photos(photos: Iterable[Photo]) -> list[Photo]:
    """The photos a public page shows, in the order given (the host's): those with variants.

    One list for the gallery, og:image (and its alt) and the JSON-LD, so a link preview
    shows the photo the gallery opens with, and none of them can be an original upload.
    """
    return [photo for photo in photos if photo.has_variants]


def hero_url(photos: list[Photo]) -> str:
    """The absolute URL of the hero variant of the first of ``photos`` (shown ones), or ""."""
    return absolute_url(photos[0].hero_url) if photos else ""


def listing_hero_url(listing: Listing) -> str:
    """``hero_url`` of a listing whose photos were prefetched in order."""
    return hero_url(shown_photos(listing.photos.all()))


def listing_jsonld(listing: Listing, photos: list[Photo], *, reviews: Iterable = ()) -> dict:
    """schema.org description of a listing: an Offer of desks in a Place. ``photos``: the
    shown ones (``shown_photos``); ``reviews``: the reviews the page shows (with their
    guests), given with the listing's average and count as ``aggregateRating``."""
    data = _offer_jsonld(listing, photos)
    if listing.rating_count and listing.rating_average is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{listing.rating_average:.2f}",
            "reviewCount": listing.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }
        data["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": review.guest_name},
                "datePublished": review.created_at.date().isoformat(),
                "reviewBody": review.text,
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": review.overall,
                    "bestRating": 5,
                    "worstRating": 1,
                },
            }
            for review in reviews
        ]
    return data


def _offer_jsonld(listing: Listing, photos: list[Photo]) -> dict:
    host = listing.host
    return {
        "@context": "https://schema.org",
        "@type": "Offer",
        "name": listing.title,
        "description": listing.description[:500],
        "url": absolute_url(listing.get_absolute_url()),
        "image": [absolute_url(photo.hero_url) for photo in photos],
        "category": listing.get_space_type_display(),
        "price": f"{listing.price_per_desk:.2f}",
        "priceCurrency": "USD",
        "priceSpecification": {
            "@type": "UnitPriceSpecification",
            "price": f"{listing.price_per_desk:.2f}",
            "priceCurrency": "USD",
            "unitText": "desk per month",
        },
        "eligibleQuantity": {
            "@type": "QuantitativeValue",
            "maxValue": listing.desks,
            "unitText": "desks",
        },
        "availabilityStarts": listing.available_from.isoformat(),
        "seller": {"@type": "Organization", "name": host.company or host.display_name},
        "itemOffered": {
            "@type": "Place",
            "name": listing.title,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": listing.address,
                "addressLocality": listing.city.name,
                "addressRegion": listing.city.state,
                "addressCountry": "US",
            },
            "geo": {
                "@type": "GeoCoordinates",
                "latitude": float(listing.latitude),
                "longitude": float(listing.longitude),
            },
            "containedInPlace": {"@type": "Place", "name": listing.neighborhood.name},
        },
    }


def map_pins(listings) -> list[dict]:
    """What static/js/map.js draws: one pin per listing (no queries: relations loaded)."""
    return [
        {
            "lat": float(listing.latitude),
            "lng": float(listing.longitude),
            "title": listing.title,
            "url": listing.get_absolute_url(),
            "price": f"${listing.price_label} per desk / month",
        }
        for listing in listings
    ]
