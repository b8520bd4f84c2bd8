from django.urls import path

from . import converters, views  # noqa: F401 (converters registers "uslug")

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("articles/", views.ArticleListView.as_view(), name="list"),
    path("articles/<uslug:slug>/", views.ArticleDetailView.as_view(), name="detail"),
    path("events/", views.EventListView.as_view(), name="event-list"),
    path("events/<uslug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("actors/", views.ActorListView.as_view(), name="actor-list"),
    path("actors/<uslug:slug>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("places/<uslug:slug>/", views.PlaceDetailView.as_view(), name="place-detail"),
    path("tags/", views.TagListView.as_view(), name="tag-list"),
    path("tags/<uslug:slug>/", views.TagDetailView.as_view(), name="tag"),
    path("search/", views.search_view, name="search"),
]
