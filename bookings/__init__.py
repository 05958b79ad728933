"""Bookings: requests, approval, capacity, guest<->host messages."""
