"""
The admin's request values reach lookups as typed. A value that cannot be one of the archive's
(a NUL, which no stored text holds and PostgreSQL refuses in a query; an id that is no id)
matches nothing here instead of failing the query.
"""

from django.contrib.admin import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError


def holds_nul(value) -> bool:
    values = value if isinstance(value, list | tuple) else [value]
    return any("\x00" in str(item) for item in values)


class NulSafeChangeList(ChangeList):
    """A field lookup holding a NUL is a bad lookup: the admin answers it as it does any other (?e=1)."""

    def get_filters(self, request):
        filters = super().get_filters(request)
        specs, _, remaining, _, _ = filters
        values = [*remaining.values()]
        values += [
            value for spec in specs if isinstance(spec, FieldListFilter) for value in spec.used_parameters.values()
        ]
        if any(holds_nul(value) for value in values):
            raise IncorrectLookupParameters("A filter value holds a NUL character.")
        return filters


class CheckedAutocompleteSelect(AutocompleteSelect):
    """
    A form posted back with errors shows its chosen record again, looked up by the posted value:
    one that is no id of the target (a word, a number out of range) is left out, not looked up.
    """

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        kept = []
        for item in value:
            try:
                target.run_validators(target.to_python(item))
            except ValidationError:
                continue
            if not holds_nul(item):
                kept.append(item)
        return super().optgroups(name, kept, attr)


class CheckedAutocompleteMixin:
    """For a ModelAdmin or an inline: its autocomplete fields use CheckedAutocompleteSelect."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class NulSafeAdminMixin(CheckedAutocompleteMixin):
    """For a ModelAdmin: its changelist, its searches (the list's and the autocomplete's), its forms."""

    def get_changelist(self, request, **kwargs):
        return NulSafeChangeList

    def get_object(self, request, object_id, from_field=None):
        # The change and delete views pass an empty _to_field on as a field name.
        return super().get_object(request, object_id, from_field or None)

    def get_search_results(self, request, queryset, search_term):
        if "\x00" in search_term:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)
