"""pivotdesk.warmup: after warm_process, a page compiles no template on its first render."""

import pytest
from django.template import engines
from django.template.base import Template

from listings.tests.factories import ListingFactory
from pivotdesk.warmup import project_templates, warm_process


@pytest.fixture
def cold_templates():
    """The template engine's compiled templates dropped, as in a new process."""
    for loader in engines["django"].engine.template_loaders:
        if hasattr(loader, "reset"):
            loader.reset()


@pytest.fixture
def compiles(monkeypatch):
    """How many templates are compiled from here on."""
    seen = []
    compile_nodelist = Template.compile_nodelist

    def counting(self):
        seen.append(self.name)
        return compile_nodelist(self)

    monkeypatch.setattr(Template, "compile_nodelist", counting)
    return seen


@pytest.mark.django_db
def test_a_cold_process_compiles_the_listing_page_templates_on_first_render(
    client, cold_templates, compiles
):
    # The control for the test below: without the warm-up, the first render compiles.
    listing = ListingFactory()
    assert client.get(listing.get_absolute_url()).status_code == 200
    assert "listings/listing_detail.html" in compiles and "base.html" in compiles


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "search", "city", "listing"])
def test_after_the_warm_up_public_pages_compile_no_template(client, cold_templates, compiles, page):
    listing = ListingFactory()
    done = warm_process()
    assert done["templates"] == len(project_templates()) > 20
    url = {
        "home": "/",
        "search": "/spaces/?desks=2",
        "city": listing.city.get_absolute_url(),
        "listing": listing.get_absolute_url(),
    }[page]
    compiles.clear()  # what the warm-up compiled
    assert client.get(url).status_code == 200
    assert compiles == []
