"""A covering index for counting search results (Postgres only).

Every uncached search counts its matches. Without this index Postgres found them with the
city/type indexes and then read each matching row's page to check price and desks: ~1,400
pages, 6–8 ms, for "hot desks in Boulder". With the columns a count needs in the index
(the filters, plus what the free-desks check reads: id, desks, minimum term) it is an
index-only scan: 0.3–0.5 ms (measured with EXPLAIN ANALYZE). Partial on published listings,
the only ones searched.

Not in ``Listing.Meta.indexes``: SQLite has no INCLUDE columns (system check models.W040),
and on SQLite there is nothing to gain.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS listing_search_count
    ON listings_listing (city_id, space_type, price_per_desk)
    INCLUDE (id, desks, min_term_months)
    WHERE status = 'published';
"""

BACKWARD = "DROP INDEX IF EXISTS listing_search_count;"


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0002_search_vector"),
    ]

    operations = [
        migrations.RunPython(_on_postgres(FORWARD), _on_postgres(BACKWARD), elidable=False),
    ]
