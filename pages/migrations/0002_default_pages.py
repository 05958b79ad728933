"""The footer's pages, with plain-English defaults the operator edits in /admin/."""

from django.db import migrations

PAGES = {
    "terms": (
        "Terms of use",
        """<p>PivotDesk introduces teams looking for desks (guests) to companies with spare
space (hosts) in Boulder and Denver. By using the site you agree to these terms.</p>
<h2>Accounts</h2>
<p>Keep your password to yourself and tell us at once if you think someone else has used
your account. One account per person; a team member books for the team.</p>
<h2>Listings</h2>
<p>Hosts describe their space truthfully, have the right to let it, and keep their listing's
desks, dates and terms up to date. We may remove a listing that is misleading or unsafe.</p>
<h2>Bookings</h2>
<p>A request becomes a booking when the host approves it (or at once, where the host offers
instant booking). The desks, dates and monthly price shown on the booking page are what was
agreed. Cancelling and giving notice follow our
<a href="/cancellation-and-notice/">cancellation and notice policy</a>.</p>
<h2>Conduct</h2>
<p>Treat each other's space and people with respect. Messages stay about the booking.</p>
<h2>Liability</h2>
<p>Hosts and guests contract with each other; PivotDesk is not a party to the letting and is
not responsible for the space itself. Nothing here limits rights you have by law.</p>""",
    ),
    "privacy": (
        "Privacy",
        """<p>We keep what we need to run bookings, and nothing more.</p>
<h2>What we keep</h2>
<ul>
<li>Your account: email, name, company, phone and bio if you give them.</li>
<li>Your bookings and the messages you exchange with a host or guest.</li>
<li>For hosts: listings and photos (we remove location data from photos on upload).</li>
<li>Server logs for a short time, to keep the site working and safe.</li>
</ul>
<h2>Who sees it</h2>
<p>A host sees the name, company and email of a guest who asks for their space; a guest sees
the host's name and, once approved, how to reach them. We do not sell your data or use it
for advertising.</p>
<h2>Your choices</h2>
<p>Edit your profile at any time. To have your account deleted, write to us from its email
address (see <a href="/contact/">Contact</a>); we keep booking records only as long as the
law requires.</p>""",
    ),
    "contact": (
        "Contact",
        """<p>We are a small team in Boulder, Colorado, and we read every message.</p>
<ul>
<li>Questions about a booking: write to the host from the booking's page first.</li>
<li>Anything else: <a href="mailto:hello@pivotdesk.example">hello@pivotdesk.example</a>.</li>
<li>Security issues: <a href="mailto:security@pivotdesk.example">security@pivotdesk.example</a>.</li>
</ul>
<p>We answer within two working days.</p>""",
    ),
    "cancellation-and-notice": (
        "Cancellation and notice",
        """<h2>Requests</h2>
<p>A host answers a request within 72 hours, and at the latest by the end of the day before
the move-in date. A request that is not answered in time expires; nothing is owed. You can withdraw a request
at any time before it is answered.</p>
<h2>Before the move-in date</h2>
<p>You can cancel an approved booking at any time before its first day. The host is told at
once and the desks are offered to others.</p>
<h2>After the move-in date</h2>
<p>Once a booking has started you give 30 days' notice: the booking ends 30 days after the
day you give it (or on its planned end date, if that is sooner). You keep your desks until
then. Notice can be given once.</p>
<h2>Hosts</h2>
<p>A host declines a request instead of cancelling; an approved booking stands for its whole
term. If a host archives a space, pending requests are declined and guests with approved
bookings are told by email; their bookings and booking pages remain.</p>""",
    ),
}


def seed(apps, schema_editor):
    Page = apps.get_model("pages", "Page")
    for slug, (title, body) in PAGES.items():
        Page.objects.get_or_create(slug=slug, defaults={"title": title, "body": body})


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
