"""gunicorn settings. The Procfile names only the app; every server option lives here."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 25  # below the router's 30 s
