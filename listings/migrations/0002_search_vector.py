"""Full-text search: a tsvector column on listings, a GIN index, and the triggers that keep it.

Weights: title A, neighborhood name and amenity names B, description C. Triggers (not
Python signals) write the column, so every path that changes a listing — the host admin,
bulk inserts in seed_demo, a raw UPDATE, renaming a neighborhood or an amenity, adding or
removing an amenity — leaves the document current. On SQLite the column stays NULL and the
search falls back to icontains (listings.filters).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION listings_listing_search_vector_write() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(
            (SELECT n.name FROM listings_neighborhood n WHERE n.id = NEW.neighborhood_id), ''
        )), 'B')
        || setweight(to_tsvector('english', coalesce(
            (SELECT string_agg(a.name, ' ' ORDER BY a.name)
               FROM listings_listing_amenities la
               JOIN listings_amenity a ON a.id = la.amenity_id
              WHERE la.listing_id = NEW.id), ''
        )), 'B')
        || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER listings_listing_search_vector
BEFORE INSERT OR UPDATE OF title, description, neighborhood_id, search_vector
ON listings_listing
FOR EACH ROW EXECUTE FUNCTION listings_listing_search_vector_write();

-- Touching "title" (set to itself) re-runs the trigger above for the affected listings.
CREATE OR REPLACE FUNCTION listings_listing_amenities_search_touch() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE listings_listing SET title = title WHERE id = OLD.listing_id;
    ELSE
        UPDATE listings_listing SET title = title WHERE id = NEW.listing_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER listings_listing_amenities_search
AFTER INSERT OR DELETE ON listings_listing_amenities
FOR EACH ROW EXECUTE FUNCTION listings_listing_amenities_search_touch();

CREATE OR REPLACE FUNCTION listings_neighborhood_search_touch() RETURNS trigger AS $$
BEGIN
    UPDATE listings_listing SET title = title WHERE neighborhood_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER listings_neighborhood_search
AFTER UPDATE OF name ON listings_neighborhood
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION listings_neighborhood_search_touch();

CREATE OR REPLACE FUNCTION listings_amenity_search_touch() RETURNS trigger AS $$
BEGIN
    UPDATE listings_listing SET title = title
     WHERE id IN (SELECT listing_id FROM listings_listing_amenities WHERE amenity_id = NEW.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER listings_amenity_search
AFTER UPDATE OF name ON listings_amenity
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION listings_amenity_search_touch();

-- Existing rows.
UPDATE listings_listing SET title = title;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS listings_amenity_search ON listings_amenity;
DROP TRIGGER IF EXISTS listings_neighborhood_search ON listings_neighborhood;
DROP TRIGGER IF EXISTS listings_listing_amenities_search ON listings_listing_amenities;
DROP TRIGGER IF EXISTS listings_listing_search_vector ON listings_listing;
DROP FUNCTION IF EXISTS listings_amenity_search_touch();
DROP FUNCTION IF EXISTS listings_neighborhood_search_touch();
DROP FUNCTION IF EXISTS listings_listing_amenities_search_touch();
DROP FUNCTION IF EXISTS listings_listing_search_vector_write();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="listing_search"
            ),
        ),
        migrations.RunPython(_on_postgres(FORWARD), _on_postgres(BACKWARD), elidable=False),
    ]
