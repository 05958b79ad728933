"""Bookings: requests, approval, capacity, guest<->host messages."""

# What a host needs in /host/ to see and answer booking requests on their listings. The
# accounts helper builds the "Hosts" group from this (with the listings' own list).
HOST_PERMISSIONS = [
    "bookings.view_booking",
    "bookings.change_booking",
    "bookings.view_message",
    "bookings.view_bookingevent",
]
