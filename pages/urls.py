from django.urls import path

from . import views
from .models import Page

app_name = "pages"

# One fixed URL per page (the footer links to them by name: "pages:terms", ...).
urlpatterns = [
    path(f"{slug}/", views.page_detail, {"slug": slug}, name=slug) for slug in Page.Slug.values
]
