"""Path converters of the archive's URLs, registered on import."""

from django.urls import register_converter


class SlugConverter:
    """
    Slugs as the archive makes them: letters of any script, digits, hyphens, underscores.
    Anything else (a NUL, a control byte, a slash) matches no route, so it is a 404 before any query.
    """

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(SlugConverter, "uslug")
