"""
Every admin URL, listed from the admin site's registry (changelist, add, change,
delete, history, autocomplete, each admin's own views), as anonymous, editor,
publisher and superuser, with every HTTP method and hostile values in the path,
the query string and the form: never an answer of 500 or above.
FUZZ_EXAMPLES raises the count of the hypothesis-made requests.
"""

import os

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .accounts import make_user
from .test_fuzz_urls import METHODS, encode, hostile_segments, hostile_text, query_strings, raw_bytes, send

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES * 5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROLES = [None, "editor", "publisher", "superuser"]
# The admin's own parameters, beside each model's field names.
ADMIN_PARAMETERS = ["q", "o", "p", "e", "all", "_popup", "_to_field", "_changelist_filters", "action", "index"]
FORM_BUTTONS = ["_save", "_continue", "_addanother", "_saveasnew", "post", "select_across", "_selected_action"]


def model_admin_urls(model, model_admin):
    """Each URL pattern of one model's admin, its object id filled with an existing record's."""
    obj = model._default_manager.order_by("pk").first()
    object_id = str(obj.pk) if obj is not None else "1"
    paths = []
    for pattern in model_admin.urls:
        if isinstance(pattern, URLResolver) or not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        converters = pattern.pattern.converters
        if pattern.name.endswith("_simple_history"):
            # django-simple-history's view of one past version: the object's id, then the version's.
            version = obj.history.order_by("history_id").first() if obj is not None else None
            args = [object_id, str(version.history_id) if version else "1"]
            paths.append((reverse(f"admin:{pattern.name}", args=args), object_id))
            continue
        if set(converters) - {"object_id", "id"} or (pattern.pattern.regex.groups and not converters):
            raise AssertionError(f"{pattern.name}: fill in the parameters of {pattern.pattern} for the fuzz")
        kwargs = dict.fromkeys(converters, object_id)
        paths.append((reverse(f"admin:{pattern.name}", kwargs=kwargs), object_id if converters else None))
    return paths


def autocomplete_queries():
    """The query of each autocomplete the admin's forms use: the model holding the field, the field."""
    queries = []
    for model_admin in [*admin.site._registry.values()]:
        for holder in [model_admin, *(inline(model_admin.model, admin.site) for inline in model_admin.inlines)]:
            for field_name in holder.autocomplete_fields:
                meta = holder.model._meta
                queries.append(f"app_label={meta.app_label}&model_name={meta.model_name}&field_name={field_name}")
    return sorted(set(queries))


def site_urls():
    """The admin site's own views: index, sign-in and out, password change, app lists, view on site, ..."""
    from django.contrib.contenttypes.models import ContentType

    from articles.models import Article

    article = Article.objects.order_by("pk").first()
    fill = {
        "app_list": [[label] for label in sorted({model._meta.app_label for model in admin.site._registry})],
        "view_on_site": [[ContentType.objects.get_for_model(Article).pk, article.pk if article else 1]],
    }
    urls = []
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name:
            for args in fill.get(pattern.name, [[]]):
                urls.append((reverse(f"admin:{pattern.name}", args=args), None))
    return urls


def admin_urls():
    urls = site_urls()
    for model, model_admin in admin.site._registry.items():
        urls += model_admin_urls(model, model_admin)
    autocomplete = reverse("admin:autocomplete")
    urls += [(f"{autocomplete}?{query}", None) for query in autocomplete_queries()]
    return urls


def field_names():
    names = set(ADMIN_PARAMETERS) | set(FORM_BUTTONS)
    for model in admin.site._registry:
        names |= {field.name for field in model._meta.get_fields() if field.concrete}
    return sorted(names)


class RoleClient:
    """A test client signed in as one role, and signed in again after a request that signs it out."""

    def __init__(self, role):
        from django.test import Client

        self.client = Client()
        self.user = make_user(role) if role else None
        self.logout = reverse("admin:logout")
        if self.user:
            self.client.force_login(self.user)

    def generic(self, method, path, **kwargs):
        response = self.client.generic(method, path, **kwargs)
        if self.user and path.startswith(self.logout):
            self.client.force_login(self.user)
        return response


@pytest.fixture
def clients(sample_archive):
    return {role: RoleClient(role) for role in ROLES}


def sweep(urls):
    """
    Each URL with GET and with one other method, the methods and roles taken in turn; with
    FUZZ_EXAMPLES at 100 or more (make fuzz), every URL with every method as every role.
    """
    if EXAMPLES >= 100:
        return [(path, method, role) for path, _ in urls for method in METHODS for role in ROLES]
    others = METHODS[1:]
    return [
        request
        for n, (path, _) in enumerate(urls)
        for request in ((path, "GET", ROLES[n % len(ROLES)]), (path, others[n % len(others)], ROLES[(n + 1) % 4]))
    ]


def test_every_admin_url_answers_every_method_of_every_role_below_500(clients):
    urls = admin_urls()
    assert len(urls) > 100
    requests = sweep(urls)
    assert {method for _, method, _ in requests} == set(METHODS)
    assert {path for path, _, _ in requests} == {path for path, _ in urls}
    failures = []
    for path, method, role in requests:
        response = send(clients[role], method, path)
        if response.status_code >= 500:
            failures.append((role, method, path, response.status_code))
    assert not failures


@pytest.mark.parametrize("role", ROLES)
def test_hostile_admin_requests_never_get_a_server_error(clients, role):
    urls = admin_urls()
    names = field_names()
    client = clients[role]

    form = st.lists(
        st.tuples(st.one_of(st.sampled_from(names), st.text(max_size=10)), st.one_of(hostile_text, raw_bytes)),
        max_size=8,
    ).map(lambda pairs: "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs))
    query = st.one_of(
        query_strings,
        st.lists(st.tuples(st.sampled_from(names), st.one_of(hostile_text, raw_bytes)), max_size=6).map(
            lambda pairs: "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)
        ),
    )

    @FUZZ
    @given(
        url=st.sampled_from(urls),
        method=st.sampled_from(METHODS),
        query=query,
        body=form,
        segment=st.one_of(st.none(), hostile_segments),
    )
    def probe(url, method, query, body, segment):
        path, object_id = url
        if segment is not None and object_id is not None:
            path = path.replace(f"/{object_id}/", f"/{segment}/", 1)
        joiner = "&" if "?" in path else "?"
        target = f"{path}{joiner}{query}" if query else path
        response = send(client, method, target, body)
        assert response.status_code < 500, (role, method, target, body, response.status_code)

    probe()


@pytest.mark.parametrize("term", ["\x00", "Haf\x00tar", "\x01\x1f\x7f"])
def test_an_autocomplete_term_with_a_nul_or_control_byte_finds_nothing(clients, term):
    for query in autocomplete_queries():
        response = clients["editor"].client.get(f"{reverse('admin:autocomplete')}?{query}", {"term": term})
        assert response.status_code in (200, 403), query
        if response.status_code == 200:
            assert response.json()["results"] == [], query


@pytest.mark.parametrize("bad_id", ["%00", "x", "%FF", "..", "9" * 30])
def test_an_id_that_is_no_id_is_a_404_on_every_history_and_custom_view(clients, bad_id):
    superuser = clients["superuser"].client
    for path, object_id in admin_urls():
        if object_id is None or "/delete/" in path or "/change/" in path:
            continue
        target = path.replace(f"/{object_id}/", f"/{bad_id}/", 1)
        # The suggestion view answers POST alone.
        response = superuser.post(target) if target.endswith("/link/") else superuser.get(target)
        assert response.status_code in (302, 404), (target, response.status_code)


def test_a_form_posted_back_with_a_chosen_id_that_is_no_id_shows_its_errors(clients):
    response = clients["editor"].client.post(
        reverse("admin:articles_taggedarticle_add"), {"content_object": ":", "tag": "9" * 30}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


@pytest.mark.parametrize("lookup", ["status", "status__exact", "kind", "event_type__exact", "path_info"])
def test_a_list_filter_value_with_a_nul_is_a_bad_lookup_not_a_server_error(clients, lookup):
    for model, _ in admin.site._registry.items():
        if lookup.split("__")[0] not in {field.name for field in model._meta.get_fields()}:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = clients["superuser"].client.get(url, {lookup: "a\x00"})
        assert response.status_code in (200, 302, 400), (url, lookup, response.status_code)


def test_an_empty_to_field_on_a_change_or_delete_form_is_not_a_server_error(clients):
    superuser = clients["superuser"].client
    for path, object_id in admin_urls():
        if object_id is not None and (path.endswith("/delete/") or path.endswith("/change/")):
            response = superuser.post(path, {"_to_field": ""})
            assert response.status_code < 500, (path, response.status_code)
