"""
Pagination for lists over the whole archive.

An exact COUNT over Article.objects.public() reads every public article, and
OFFSET 3980 steps over 3,980 rows to reach page 200. Both are computed once per
list and editorial version instead: the total is cached, and so is the sort
key of the last row of every page, so that page 200 starts from its key
("older than this date and id") as page 1 starts from the top. Page numbers
stay the interface, and a page beyond the last is still a 404.
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from . import cache

# Pages up to this one are reached with OFFSET: cheap, and no list of keys is built for them.
KEYSET_FROM_PAGE = 6
MARKS_PER_BLOCK = 200


def list_key(request, view) -> tuple:
    """
    What a list's rows depend on besides the editorial version: the view and its
    filters, as given. Two spellings of one filter are two keys, never one key
    for two lists.
    """
    filters = sorted((name, tuple(values)) for name, values in request.GET.lists() if name != "page")
    return (type(view).__name__, request.path, tuple(filters))


class ArchivePaginator(Paginator):
    # What the rows depend on besides the editorial version (list_key()); None caches nothing.
    cache_parts: tuple | None = None

    @cached_property
    def count(self):
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or self.cache_parts is None:
            return super().count
        if queryset.query.is_empty():  # a rejected filter: none(), no query at all
            return 0
        return cache.cached("count", self.cache_parts, queryset.count)

    @cached_property
    def sort_key(self) -> tuple[str, bool] | None:
        """The leading sort field and direction when the order is (field, id), both the same way; else None."""
        if not isinstance(self.object_list, QuerySet):
            return None
        ordering = self.object_list.query.order_by or self.object_list.model._meta.ordering
        if len(ordering) != 2 or not all(isinstance(o, str) for o in ordering):
            return None
        first, second = ordering
        descending = first.startswith("-")
        if second.lstrip("-") not in ("id", "pk") or second.startswith("-") != descending:
            return None
        field = first.lstrip("-")
        if field in self.object_list.query.annotation_select:
            # A column the query selects, such as the tag link's copy of the date (public.articles_tagged).
            return field, descending
        try:
            model_field = self.object_list.model._meta.get_field(field)
        except FieldDoesNotExist:
            return None
        if model_field.null or model_field.is_relation:
            return None
        return field, descending

    def page(self, number):
        number = self.validate_number(number)
        keyset = self.cache_parts is not None and self.sort_key is not None
        if number < KEYSET_FROM_PAGE or not keyset or self.object_list.query.is_empty():
            return super().page(number)
        mark = self.mark_before(number)
        if mark is None:
            return super().page(number)
        field, descending = self.sort_key
        value, pk = mark
        op = "lt" if descending else "gt"
        edge = "lte" if descending else "gte"
        rows = self.object_list.filter(**{f"{field}__{edge}": value}).filter(
            Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
        )
        return self._get_page(rows[: self.per_page], number, self)

    def mark_before(self, number: int):
        """The (sort value, id) of the last row of page number - 1."""
        index = number - 2
        block = index // MARKS_PER_BLOCK
        base = (*self.cache_parts, self.per_page)
        marks = cache.cached("page-marks", (*base, block), lambda: self._build_marks(base, block))
        position = index % MARKS_PER_BLOCK
        return marks[position] if position < len(marks) else None

    def _build_marks(self, base, wanted: int) -> list:
        """Every page's last key, stored in blocks; computed once per list, page size and version."""
        field, _ = self.sort_key
        keys = list(self.object_list.prefetch_related(None).values_list(field, "pk"))
        marks = keys[self.per_page - 1 :: self.per_page]
        blocks = [marks[i : i + MARKS_PER_BLOCK] for i in range(0, len(marks), MARKS_PER_BLOCK)]
        for i, block in enumerate(blocks):
            cache.store("page-marks", (*base, i), block)
        return blocks[wanted] if wanted < len(blocks) else []


class CachedPaginationMixin:
    """For a ListView: its paginator caches the total and the page keys under the request's filters."""

    paginator_class = ArchivePaginator

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        paginator.cache_parts = list_key(self.request, self)
        return paginator
