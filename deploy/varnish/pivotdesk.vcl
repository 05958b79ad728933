# PivotDesk behind Varnish 7 (Debian's `varnish`; `varnish-modules` for xkey). docs/CDN.md.
#
# Kept: what the app marks `public` (anonymous pages, PAGE_CACHE_PAGES). Never kept nor
# shared: a request with a session cookie, and everything under the personal paths.
# Tags: the app's `Surrogate-Key` header is indexed by xkey and never leaves Varnish.
# Purge: `PURGE /` with `xkey-purge: <tags>` (or `xkey-softpurge`) from `purgers` only.
vcl 4.1;

import std;
import xkey;

# The app (gunicorn). The probe lets a sick origin be met with stale copies (grace). A busy
# origin is not a sick one: a sick backend gets no fetches at all, so every page not yet kept
# would be a 503 in the middle of a spike. The probe waits out a spike's queue (4 s) and
# needs 3 failures in 5 (about 15 s) before Varnish stops asking the origin.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .probe = {
        .url = "/robots.txt";
        .interval = 5s;
        .timeout = 4s;
        .window = 5;
        .threshold = 3;
    }
}

# Who may purge: the app's dynos (CDN_PURGE_URLS points here). Anyone else gets 403.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    set req.backend_hint = default;

    # A tag header from a client means nothing here: tags come from the origin only.
    unset req.http.Surrogate-Key;
    unset req.http.xkey;

    if (req.method == "PURGE" || req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            if (req.http.xkey-purge !~ "^[a-z0-9-]{1,100}( [a-z0-9-]{1,100}){0,199}$") {
                return (synth(400, "Malformed tags"));
            }
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.n-gone));
        }
        if (req.http.xkey-softpurge) {
            if (req.http.xkey-softpurge !~ "^[a-z0-9-]{1,100}( [a-z0-9-]{1,100}){0,199}$") {
                return (synth(400, "Malformed tags"));
            }
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
            return (synth(200, "Softpurged " + req.http.n-gone));
        }
        return (synth(400, "No tags"));
    }
    if (req.method != "GET" && req.method != "HEAD" && req.method != "POST"
        && req.method != "PUT" && req.method != "PATCH" && req.method != "DELETE"
        && req.method != "OPTIONS") {
        return (synth(405, "Method Not Allowed"));
    }

    # Campaign parameters change nothing on a page: one copy for all of them.
    if (req.url ~ "[?&](utm_[a-z_]+|fbclid|gclid)=") {
        set req.url = regsuball(req.url, "(?i)([?&])(utm_[a-z_]+|fbclid|gclid)=[^&]*", "\1");
        set req.url = regsuball(req.url, "&&+", "&");
        set req.url = regsub(req.url, "\?&+", "?");
        set req.url = regsub(req.url, "[?&]+$", "");
    }
    set req.url = std.querysort(req.url);

    # A slow or down origin: stale copies answer (full grace); a healthy one: 10 s at most.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(accounts|host|admin|bookings)(/|$)" || req.url ~ "^/(healthz|readyz)(/|\?|$)") {
        return (pass);
    }
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # An anonymous visitor: the app reads no other cookie on a public page. Without this,
    # a csrftoken or an analytics cookie would make every visitor a miss.
    unset req.http.Cookie;
    # A search form sends its empty fields (?city=boulder&type=&q=); public pages read an
    # empty parameter as an absent one, so both share the copy a link (?city=boulder) made.
    if (req.url ~ "[?&][^=&]+=(&|$)") {
        set req.url = regsuball(req.url, "([?&])[^=&]+=(?=&|$)", "\1");
        set req.url = regsuball(req.url, "&&+", "&");
        set req.url = regsub(req.url, "\?&+", "?");
        set req.url = regsub(req.url, "[?&]+$", "");
    }
    return (hash);
}

sub vcl_backend_response {
    # Only what the app marks public is kept; a cookie being set is never kept.
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control !~ "(^|[ ,])public([ ,]|$)"
        || beresp.http.Cache-Control ~ "private|no-store|no-cache") {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Purges keep copies current, so a copy may be served stale for long if the origin is down.
    set beresp.grace = 24h;
    return (deliver);
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}

sub vcl_synth {
    unset resp.http.Server;
}
