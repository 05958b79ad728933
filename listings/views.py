from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import City, Listing


def home(request):
    cities = list(selectors.cities_with_counts())
    featured = [(city, selectors.featured_listings(city=city)) for city in cities]
    return render(request, "listings/home.html", {"cities": cities, "featured": featured})


def city_detail(request, city):
    city = get_object_or_404(City, slug=city)
    listings = selectors.listing_cards(Listing.objects.published().in_city(city))[:24]
    return render(request, "listings/city_detail.html", {"city": city, "listings": listings})


def listing_detail(request, city, slug):
    listing = get_object_or_404(
        selectors.listing_cards().prefetch_related("amenities"), city__slug=city, slug=slug
    )
    return render(request, "listings/listing_detail.html", {"listing": listing})
