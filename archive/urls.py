from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache

from articles.sitemaps import SITEMAPS


@never_cache
def healthz(request):
    """For load balancers and the benchmark's baseline: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        # A database that is down raises here, and the middleware answers 503.
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("articles.api.urls")),
    path("export/", include("articles.exports")),
    path("feeds/", include("articles.feeds")),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap"}),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("", include("articles.urls")),
]
