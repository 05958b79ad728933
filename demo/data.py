"""Demo data that looks real: Boulder and Denver neighborhoods, streets, hosts."""

import datetime
from decimal import Decimal as D

CITIES = [
    {
        "slug": "boulder",
        "name": "Boulder",
        "latitude": D("40.015000"),
        "longitude": D("-105.270500"),
        "intro": (
            "Desks at the foot of the Flatirons: startups spun out of CU, outdoor brands and "
            "climate-tech teams share space from Pearl Street to Gunbarrel."
        ),
        "neighborhoods": [
            (
                "Pearl Street",
                "pearl-street",
                "40.017600",
                "-105.279700",
                ["1942 Pearl St", "1035 Pearl St", "1300 Walnut St", "2040 14th St"],
            ),
            (
                "NoBo",
                "nobo",
                "40.046000",
                "-105.283000",
                ["4800 Broadway", "4770 13th St", "4585 Broadway"],
            ),
            (
                "Gunbarrel",
                "gunbarrel",
                "40.063500",
                "-105.194000",
                ["6325 Gunpark Dr", "5505 Spine Rd", "6800 Lookout Rd"],
            ),
            (
                "East Boulder",
                "east-boulder",
                "40.021000",
                "-105.227000",
                ["5485 Conestoga Ct", "2500 55th St", "3101 Iris Ave"],
            ),
            (
                "University Hill",
                "university-hill",
                "40.000500",
                "-105.277000",
                ["1200 College Ave", "1325 Broadway", "1136 13th St"],
            ),
            (
                "Table Mesa",
                "table-mesa",
                "39.986000",
                "-105.249000",
                ["645 S Broadway", "4800 Table Mesa Dr"],
            ),
        ],
    },
    {
        "slug": "denver",
        "name": "Denver",
        "latitude": D("39.739200"),
        "longitude": D("-104.990300"),
        "intro": (
            "From the warehouses of RiNo to the towers by Union Station, Denver is where "
            "fast-growing teams land when they outgrow the kitchen table."
        ),
        "neighborhoods": [
            (
                "LoDo",
                "lodo",
                "39.753000",
                "-104.999000",
                ["1600 Wynkoop St", "1801 Blake St", "1550 Market St", "1660 17th St"],
            ),
            (
                "RiNo",
                "rino",
                "39.768000",
                "-104.980000",
                ["3000 Larimer St", "2650 Walnut St", "3501 Wazee St", "2901 Blake St"],
            ),
            (
                "LoHi",
                "lohi",
                "39.759000",
                "-105.011000",
                ["2500 15th St", "1615 Platte St", "3200 Tejon St"],
            ),
            (
                "Union Station",
                "union-station",
                "39.753000",
                "-105.000500",
                ["1701 Wynkoop St", "1881 16th St", "1999 Chestnut Pl"],
            ),
            (
                "Capitol Hill",
                "capitol-hill",
                "39.731000",
                "-104.979000",
                ["1400 Grant St", "1200 E Colfax Ave", "1385 Pennsylvania St"],
            ),
            (
                "Cherry Creek",
                "cherry-creek",
                "39.717000",
                "-104.953000",
                ["250 Columbine St", "2500 E 1st Ave", "201 Fillmore St"],
            ),
            (
                "Golden Triangle",
                "golden-triangle",
                "39.732000",
                "-104.992000",
                ["1250 Bannock St", "1000 Acoma St", "1111 Broadway"],
            ),
        ],
    },
]

AMENITIES = [
    ("Fast Wi-Fi", "wifi"),
    ("Meeting rooms", "meeting-rooms"),
    ("Phone booths", "phone-booths"),
    ("Kitchen", "kitchen"),
    ("Coffee", "coffee"),
    ("Bike storage", "bike-storage"),
    ("Parking", "parking"),
    ("Showers", "showers"),
    ("24/7 access", "24-7-access"),
    ("Dog friendly", "dog-friendly"),
    ("Standing desks", "standing-desks"),
    ("Mail handling", "mail-handling"),
    ("Mountain views", "mountain-views"),
    ("Rooftop deck", "rooftop-deck"),
]

HOSTS = [
    ("host@pivotdesk.test", "Maya Castillo", "Flatiron Robotics", "303-555-0141"),
    ("sam@rinomakers.test", "Sam Okafor", "RiNo Makers Collective", "720-555-0112"),
    ("priya@unionloft.test", "Priya Raman", "Union Loft Partners", "720-555-0187"),
    ("jordan@mesalabs.test", "Jordan Lee", "Mesa Labs", "303-555-0166"),
    ("elena@cherrycreekadvisors.test", "Elena Brooks", "Cherry Creek Advisors", "303-555-0199"),
]
DEMO_HOST_PASSWORD = "pivotdesk-demo-host"
DEMO_GUEST = ("guest@pivotdesk.test", "Alex Kim", "Tiny Rocket Labs")
DEMO_GUEST_PASSWORD = "pivotdesk-demo-guest"
DEMO_ADMIN = "admin@pivotdesk.test"
DEMO_ADMIN_PASSWORD = "pivotdesk-demo-admin"

ADJECTIVES = [
    "Sunny",
    "Quiet",
    "Bright",
    "Airy",
    "Cozy",
    "Light-filled",
    "Modern",
    "Converted",
    "Brick-walled",
    "Corner",
    "Lofty",
    "Calm",
]
NOUNS = {
    "hot_desk": ["hot desks", "flex desks", "drop-in desks"],
    "dedicated_desk": ["dedicated desks", "team desks", "reserved desks"],
    "private_office": ["private office", "team room", "corner office"],
}
HOOKS = [
    "with Flatirons views",
    "steps from the creek path",
    "above a coffee roaster",
    "in a climate-tech studio",
    "next to the light rail",
    "in a restored warehouse",
    "beside a design agency",
    "with a rooftop deck",
    "off the bike path",
    "in a quiet engineering office",
    "in a friendly product studio",
    "near the park",
]
BLURBS = [
    "We are a {size}-person team with more room than we need. You get your own desks, "
    "a shared kitchen with good coffee, and neighbours who are happy to trade notes.",
    "Big windows, steady Wi-Fi and a meeting room you can book by the hour. "
    "Our team keeps normal hours; you are welcome any time with your own key card.",
    "Bring your laptop and your dog. There is bike storage downstairs, showers for "
    "lunchtime runs, and a whiteboard wall that has seen a hundred product sprints.",
    "A calm space for focused work: phone booths for calls, standing desks, and a "
    "lounge for when you need a change of scene. Month to month, no long lease.",
]

# Tour hours on a few demo listings, weekdays (local time): a morning and an afternoon.
TOUR_HOURS = [(datetime.time(10), datetime.time(12)), (datetime.time(13, 30), datetime.time(17))]
