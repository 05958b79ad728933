"""Store every email in its canonical form (accounts.models.canonical_email), so look-ups can
be exact. An address whose canonical form another account already has is left as it is and
reported: an operator decides which account keeps it."""

import unicodedata

from django.db import migrations


def canonical(email):
    folded = unicodedata.normalize("NFKC", (email or "").strip()).upper().casefold()
    return unicodedata.normalize("NFKC", folded)


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for user in User.objects.only("pk", "email").order_by("pk"):
        wanted = canonical(user.email)
        if wanted == user.email:
            continue
        if wanted in taken:
            print(f"\n  accounts: {user.email!r} (user {user.pk}) folds to a taken address")
            continue
        taken.discard(user.email)
        taken.add(wanted)
        User.objects.filter(pk=user.pk).update(email=wanted)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
