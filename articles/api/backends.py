"""
Filtering and paging shared by every list of the API (REST_FRAMEWORK defaults).

Kept apart from the views so that the settings can name them without
importing the schema views, which import these settings in turn.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 100
# The one check the filter form makes across fields compares "after" with
# "before"; its message names both, and the error is given under the later one.
FORM_ERROR_PARAMETER = "before"


class ArchivePagination(PageNumberPagination):
    """
    The site's paginator (articles.paging): the total is counted once per list,
    filters and editorial version, not per request, and deep pages start from a key.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        from articles.paging import ArchivePaginator, list_key

        parts = list_key(request, view) if view is not None else None

        def paginator(*args, **kwargs):
            instance = ArchivePaginator(*args, **kwargs)
            instance.cache_parts = parts
            return instance

        self.django_paginator_class = paginator
        return super().paginate_queryset(queryset, request, view)


def parameter_errors(form) -> dict[str, list[str]]:
    errors = {}
    for name, messages in form.errors.items():
        name = FORM_ERROR_PARAMETER if name == "__all__" else name
        errors.setdefault(name, []).extend(str(message) for message in messages)
    return errors


class ArchiveFilterBackend(DjangoFilterBackend):
    """The site's FilterSets on list requests only, their errors keyed by the parameter at fault."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError(parameter_errors(filterset.form))
        return filterset.qs
