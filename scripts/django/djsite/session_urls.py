"""Views for the session checks: who the session's user is, log out, store a value, show the data."""

import json

from django.contrib.auth import logout
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


def whoami(request):
    user = request.user
    return JsonResponse({"user": user.get_username() if user.is_authenticated else "AnonymousUser"})


@csrf_exempt
def log_out(request):
    logout(request)
    return JsonResponse({"ok": True})


@csrf_exempt
def put(request):
    request.session[request.GET["key"]] = json.loads(request.GET["value"])
    return JsonResponse({"ok": True})


def data(request):
    return JsonResponse({"data": dict(request.session.items())})


urlpatterns = [
    path("whoami/", whoami),
    path("logout/", log_out),
    path("put/", put),
    path("data/", data),
]
