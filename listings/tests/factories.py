import datetime
import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import HostFactory
from listings.models import Amenity, City, Listing, Neighborhood


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    name = "Boulder"
    slug = factory.LazyAttribute(lambda o: o.name.lower())
    intro = "Desks at the foot of the Flatirons."
    latitude = Decimal("40.015000")
    longitude = Decimal("-105.270500")


class NeighborhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighborhood
        django_get_or_create = ("city", "slug")

    city = factory.SubFactory(CityFactory)
    name = "Pearl Street"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    latitude = Decimal("40.017600")
    longitude = Decimal("-105.279700")


class AmenityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Amenity
        django_get_or_create = ("slug",)

    name = "Fast Wi-Fi"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    host = factory.SubFactory(HostFactory)
    neighborhood = factory.SubFactory(NeighborhoodFactory)
    city = factory.LazyAttribute(lambda o: o.neighborhood.city)
    title = factory.Sequence(lambda n: f"Sunny desks number {n}")
    slug = factory.Sequence(lambda n: f"sunny-desks-{n}")
    description = "Bright desks with fast Wi-Fi and good coffee."
    address = "1942 Pearl St, Boulder, CO"
    latitude = Decimal("40.017600")
    longitude = Decimal("-105.279700")
    space_type = Listing.SpaceType.DEDICATED_DESK
    desks = 6
    price_per_desk = Decimal("350.00")
    min_term_months = 1
    available_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    status = Listing.Status.PUBLISHED


def image_upload(name="photo.jpg", size=(2000, 1333), fmt="JPEG", color=(120, 160, 200)):
    """A real image file, as a browser would upload it."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, buf.getvalue(), content_type=content_type)
