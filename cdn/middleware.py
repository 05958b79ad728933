"""``Surrogate-Key`` on every page a shared cache may keep (Cache-Control ``public``).
In MIDDLEWARE before CacheHeadersMiddleware: it sees the Cache-Control that goes out."""

from .tags import HEADER, page_tags


class SurrogateKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "public" in response.get("Cache-Control", "") and response.status_code == 200:
            response[HEADER] = " ".join(page_tags(request))
        else:
            del response[HEADER]  # a view's own, on a page nobody shares
        return response
