from django.http import HttpResponse


def home(request, slug=None):
    return HttpResponse("")
