from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.home, name="list"),
    path("articles/<str:slug>/", views.home, name="detail"),
    path("events/", views.home, name="event-list"),
    path("events/<str:slug>/", views.home, name="event-detail"),
    path("actors/", views.home, name="actor-list"),
    path("actors/<str:slug>/", views.home, name="actor-detail"),
    path("places/<str:slug>/", views.home, name="place-detail"),
    path("tags/", views.home, name="tag-list"),
    path("tags/<str:slug>/", views.home, name="tag"),
]
