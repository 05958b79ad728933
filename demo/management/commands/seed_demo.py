"""Idempotent demo data: ``python manage.py seed_demo [--listings N]``."""

import random
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.services import host_enable
from alerts.services import demo_saved_search
from bookings import services as booking_services
from bookings.emails import booking_emails_muted
from bookings.models import Booking
from demo import data
from demo.deciding import seed_deciding
from demo.photos import office_jpeg
from demo.questions import seed_questions
from demo.teams import seed_demo_team
from demo.waitlist import seed_waitlist
from listings.models import Amenity, City, Listing, Neighborhood, Photo
from listings.services import PHOTO_FILE_FIELDS, listing_create, photo_copy, photo_create
from pivotdesk.pagecache import content_version_bump
from tours.models import TourHours
from tours.services import tour_hours_save

DEMO_LISTINGS = 44
PHOTO_POOL = 8  # pictures drawn and encoded once, shared by the demo listings
CAPTIONS = ["Main room", "Desks by the window", "Kitchen and lounge", "Meeting room"]


class Command(BaseCommand):
    help = "Create demo cities, hosts, a guest and published listings (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--listings",
            type=int,
            default=0,
            help="Also add this many generated listings (bulk insert, for load tests).",
        )

    def handle(self, *args, listings=0, **options):
        rng = random.Random(2026)
        with transaction.atomic():
            cities = self._places()
            amenities = self._amenities()
            hosts, guest = self._people()
        created = self._demo_listings(rng, cities, amenities, hosts)
        self._demo_bookings(guest, hosts)
        self._demo_tour_hours(hosts)
        demo_saved_search(guest=guest)
        self.stdout.write(seed_demo_team(guest=guest, host=hosts[0]))
        if said := seed_waitlist(guest=guest, hosts=hosts):
            self.stdout.write(f"  {said}")
        seed_deciding(host=hosts[0])  # extras, reviews, answer times
        if said := seed_questions(guest=guest, hosts=hosts):
            self.stdout.write(f"  {said}")
        added = self._bulk_listings(listings, cities, amenities, hosts) if listings else 0
        if added:
            # bulk_create sends no signals: make cached pages and cards stale ourselves.
            content_version_bump()
            self._analyze()
        total = Listing.objects.published().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} new demo listings, {added} generated, "
                f"{total} published in all."
            )
        )
        self.stdout.write(
            f"  demo host:  {data.HOSTS[0][0]} / {data.DEMO_HOST_PASSWORD}  (manage at /host/)\n"
            f"  demo guest: {guest.email} / {data.DEMO_GUEST_PASSWORD}\n"
            f"  operator:   {data.DEMO_ADMIN} / {data.DEMO_ADMIN_PASSWORD}  (/admin/)"
        )

    def _analyze(self):
        """Fresh planner statistics (and a visibility map) after a bulk load.

        Autovacuum gets to a table only after a while; until then Postgres plans every
        search as if the listings table were nearly empty (row estimates of 1: nested loops
        and a sort of every match). Measured on 10,000 listings: search 69 -> 45 ms.
        """
        if connection.vendor != "postgresql":
            return
        tables = [Listing, Photo, Listing.amenities.through, Amenity, Neighborhood, City]
        # VACUUM cannot run inside a transaction (a caller's atomic block, a test).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")

    def _places(self):
        cities = {}
        for spec in data.CITIES:
            city, _ = City.objects.get_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "intro": spec["intro"],
                    "latitude": spec["latitude"],
                    "longitude": spec["longitude"],
                },
            )
            hoods = []
            for name, slug, lat, lng, streets in spec["neighborhoods"]:
                hood, _ = Neighborhood.objects.get_or_create(
                    city=city,
                    slug=slug,
                    defaults={"name": name, "latitude": Decimal(lat), "longitude": Decimal(lng)},
                )
                hoods.append((hood, streets))
            cities[city] = hoods
        return cities

    def _amenities(self):
        return [
            Amenity.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for name, slug in data.AMENITIES
        ]

    def _people(self):
        hosts = []
        for email, name, company, phone in data.HOSTS:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={"name": name, "company": company, "phone": phone, "is_host": True},
            )
            if created:
                user.set_password(data.DEMO_HOST_PASSWORD)
                user.save()
            hosts.append(user)
        for user in hosts:
            host_enable(user=user)
        email, name, company = data.DEMO_GUEST
        guest, created = User.objects.get_or_create(
            email=email, defaults={"name": name, "company": company}
        )
        if created:
            guest.set_password(data.DEMO_GUEST_PASSWORD)
            guest.save()
        if not User.objects.filter(email=data.DEMO_ADMIN).exists():
            User.objects.create_superuser(
                email=data.DEMO_ADMIN, password=data.DEMO_ADMIN_PASSWORD, name="PivotDesk Ops"
            )
        return hosts, guest

    def _photo_pool(self) -> list[Photo]:
        """The demo photos already made (one per picture), oldest first, at most PHOTO_POOL."""
        pool = {}
        for photo in Photo.objects.exclude(listing__slug__contains="-gen-").order_by("pk"):
            pool.setdefault(photo.image.name, photo)
        return list(pool.values())[:PHOTO_POOL]

    def _demo_photo(self, listing, seed, caption, position, pool):
        """Photo number ``seed`` of the pool for ``listing``: made by photo_create (variants
        and all) the first time the picture is used, shared by photo_copy after that."""
        source = pool.get(seed)
        if source is None:
            image = ContentFile(office_jpeg(seed), name=f"office-{seed:02d}.jpg")
            pool[seed] = photo_create(
                listing=listing, image=image, caption=caption, position=position
            )
            return
        photo_copy(listing=listing, source=source, caption=caption, position=position)

    def _demo_listings(self, rng, cities, amenities, hosts):
        created_count = 0
        pool = dict(enumerate(self._photo_pool()))
        today = timezone.localdate()
        per_city = DEMO_LISTINGS // len(cities)
        seen = set()
        for city_index, (city, hoods) in enumerate(cities.items()):
            for i in range(per_city):
                hood, streets = hoods[i % len(hoods)]
                space_type = rng.choice(list(Listing.SpaceType.values))
                title = _title(rng, space_type)
                slug = slugify(f"{title} {hood.name}")[:120]
                if (city.pk, slug) in seen:
                    slug = f"{slug}-{i}"
                seen.add((city.pk, slug))
                host = hosts[(i + city_index) % len(hosts)]
                desks = (
                    rng.choice([2, 3, 4, 6, 8, 10, 12])
                    if space_type != "private_office"
                    else rng.choice([2, 4, 6])
                )
                base_price = {"hot_desk": 150, "dedicated_desk": 300, "private_office": 500}[
                    space_type
                ]
                defaults = {
                    "host": host,
                    "neighborhood": hood,
                    "title": title,
                    "description": _description(rng, desks, hood.name, city.name),
                    "address": f"{rng.choice(streets)}, {city.name}, CO",
                    "latitude": hood.latitude
                    + Decimal(rng.uniform(-0.004, 0.004)).quantize(Decimal("0.000001")),
                    "longitude": hood.longitude
                    + Decimal(rng.uniform(-0.005, 0.005)).quantize(Decimal("0.000001")),
                    "space_type": space_type,
                    "desks": desks,
                    "price_per_desk": Decimal(base_price + rng.randrange(0, 400, 25)),
                    "min_term_months": rng.choice([1, 1, 1, 2, 3, 6]),
                    # Offices ask a month's deposit; desks none (no draw: the sequence stays).
                    "deposit_months": 1 if space_type == "private_office" else 0,
                    "available_from": today + timedelta(days=rng.choice([-30, -7, 0, 14, 30, 60])),
                    "instant_book": rng.random() < 0.3,
                    "status": Listing.Status.PUBLISHED,
                }
                # Draw every random value before looking the listing up, so a second run
                # walks the same sequence and finds the same slugs (idempotent).
                chosen_amenities = rng.sample(amenities, rng.randint(3, 7))
                start = rng.randrange(PHOTO_POOL)
                photo_count = rng.randint(2, 4)
                if Listing.objects.filter(city=city, slug=slug).exists():
                    continue
                with transaction.atomic():
                    listing = listing_create(
                        city=city, slug=slug, amenities=chosen_amenities, **defaults
                    )
                    for n in range(photo_count):
                        seed = (start + n) % PHOTO_POOL
                        self._demo_photo(listing, seed, CAPTIONS[n], n, pool)
                created_count += 1
        return created_count

    def _demo_bookings(self, guest, hosts):
        """The demo guest's bookings with the demo host: one request waiting for an answer
        (what /host/ is for), one approved with a short thread, one instant booking with
        another host. Made by the booking services, so the capacity rule and the history
        hold; their emails are dropped (history, not news). Only when the guest has none,
        and all or nothing: if desks were taken by hand since, make run still serves."""
        if Booking.objects.filter(guest=guest).exists():
            return
        host = hosts[0]
        mine = list(
            Listing.objects.published().filter(host=host, instant_book=False).order_by("pk")[:2]
        )
        instant = (
            Listing.objects.published()
            .filter(instant_book=True, desks__gte=2)
            .exclude(host=host)
            .order_by("pk")
            .first()
        )
        if len(mine) < 2 or instant is None:
            return
        today = timezone.localdate()

        def request(listing, desks, days, message=""):
            return booking_services.booking_request(
                guest=guest,
                listing=listing,
                desks=listing.desks if listing.is_let_whole else desks,  # offices: whole
                start=max(today + timedelta(days=days), listing.available_from),
                months=max(listing.min_term_months, 3),
                message=message,
            )

        try:
            with transaction.atomic(), booking_emails_muted():
                request(
                    mine[0],
                    2,
                    14,
                    f"Hi {host.name.split()[0]}, we're two engineers from {guest.company}. "
                    "Could we come by one afternoon to see the space first?",
                )
                approved = request(mine[1], 1, 7, "Just me for now; the team follows in spring.")
                booking_services.booking_approve(booking=approved, host=host)
                booking_services.message_create(
                    booking=approved,
                    author=host,
                    body="Welcome aboard! Keys are at the front desk, and the Wi-Fi password "
                    "is on the kitchen fridge.",
                )
                booking_services.message_create(
                    booking=approved, author=guest, body="Thanks, see you on the first day!"
                )
                request(instant, 2, 30)
        except ValidationError as exc:
            self.stdout.write(f"  demo bookings skipped: {' '.join(exc.messages)}")

    def _demo_tour_hours(self, hosts):
        """Tour hours on a few demo listings (the demo host's, and two in each city of other
        hosts), so their pages offer tour slots and a tour afternoon can be planned. Only on
        listings without hours; no random draws."""
        listings = list(Listing.objects.published().filter(host=hosts[0]).order_by("pk")[:3])
        for city in City.objects.order_by("name"):
            listings += list(
                Listing.objects.published()
                .filter(city=city)
                .exclude(host=hosts[0])
                .order_by("pk")[:2]
            )
        with transaction.atomic():
            for listing in listings:
                if TourHours.objects.filter(listing=listing).exists():
                    continue
                for weekday in range(5):  # Monday to Friday
                    for starts, ends in data.TOUR_HOURS:
                        tour_hours_save(
                            hours=TourHours(
                                listing=listing, weekday=weekday, starts=starts, ends=ends
                            )
                        )

    def _bulk_listings(self, count, cities, amenities, hosts):
        """Add ``count`` generated listings with bulk inserts (10,000 in well under 2 min),
        sharing the demo listings' photo files. Bulk inserts skip the services (and their
        signals): the caller bumps the content version."""
        pool = [
            {
                name: getattr(photo, name)
                for name in (*PHOTO_FILE_FIELDS, "width", "height")
                + ("card_width", "card_height", "hero_width", "hero_height")
            }
            for photo in self._photo_pool()
        ]
        rng = random.Random(timezone.now().timestamp())
        today = timezone.localdate()
        offset = Listing.objects.filter(slug__contains="-gen-").count()
        places = [
            (city, hood, streets) for city, hoods in cities.items() for hood, streets in hoods
        ]
        batch = 2000
        Through = Listing.amenities.through
        for first in range(0, count, batch):
            rows = []
            for n in range(first, min(first + batch, count)):
                city, hood, streets = rng.choice(places)
                space_type = rng.choice(list(Listing.SpaceType.values))
                title = _title(rng, space_type)
                rows.append(
                    Listing(
                        host=rng.choice(hosts),
                        city=city,
                        neighborhood=hood,
                        title=title,
                        slug=f"{slugify(title)[:100]}-gen-{offset + n + 1}",
                        description=_description(rng, rng.randint(4, 40), hood.name, city.name),
                        address=f"{rng.choice(streets)}, {city.name}, CO",
                        latitude=hood.latitude
                        + Decimal(rng.uniform(-0.006, 0.006)).quantize(Decimal("0.000001")),
                        longitude=hood.longitude
                        + Decimal(rng.uniform(-0.006, 0.006)).quantize(Decimal("0.000001")),
                        space_type=space_type,
                        desks=rng.randint(1, 30),
                        price_per_desk=Decimal(rng.randrange(150, 900, 5)),
                        min_term_months=rng.choice([1, 1, 2, 3, 6, 12]),
                        available_from=today + timedelta(days=rng.randint(-60, 120)),
                        instant_book=rng.random() < 0.3,
                        status=Listing.Status.PUBLISHED,
                    )
                )
            with transaction.atomic():
                made = Listing.objects.bulk_create(rows)
                if not all(listing.pk for listing in made):  # SQLite before RETURNING
                    slugs = [listing.slug for listing in made]
                    made = list(Listing.objects.filter(slug__in=slugs))
                Photo.objects.bulk_create(
                    Photo(
                        listing=listing,
                        caption=CAPTIONS[k],
                        position=k,
                        **pool[(listing.pk + k) % len(pool)],
                    )
                    for listing in made
                    for k in range(2 if pool else 0)
                )
                Through.objects.bulk_create(
                    Through(listing_id=listing.pk, amenity_id=amenity.pk)
                    for listing in made
                    for amenity in rng.sample(amenities, rng.randint(2, 6))
                )
        return count


def _title(rng, space_type):
    noun = rng.choice(data.NOUNS[space_type])
    adjective, hook = rng.choice(data.ADJECTIVES), rng.choice(data.HOOKS)
    if noun.split()[0] == adjective.lower():  # not "Corner corner office"
        return f"{noun.capitalize()} {hook}"
    return f"{adjective} {noun} {hook}"


def _description(rng, desks, hood, city):
    blurb = rng.choice(data.BLURBS).format(size=rng.randint(5, 40))
    return f"{desks} desks in {hood}, {city}. {blurb}"
