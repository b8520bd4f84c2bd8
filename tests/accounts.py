"""Users in each editorial role, as the roles migration defines them."""

import itertools

from django.contrib.auth.models import Group, User

_counter = itertools.count(1)


def make_user(role: str | None = None, **kwargs) -> User:
    """`role` is "editor", "publisher", "superuser", "staff" (no group) or None (signed in, not staff)."""
    n = next(_counter)
    kwargs.setdefault("username", f"{role or 'reader'}{n}")
    kwargs.setdefault("is_staff", role is not None)
    if role == "superuser":
        return User.objects.create_superuser(password="pw", **kwargs)
    user = User.objects.create_user(password="pw", **kwargs)
    if role in ("editor", "publisher"):
        user.groups.add(Group.objects.get(name=f"{role.title()}s"))
    return user
