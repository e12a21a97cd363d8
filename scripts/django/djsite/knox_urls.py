"""knox's own views at the paths of drf_parity: ``knox/login/``, ``knox/logout/``,
``knox/logoutall/``, and ``knox/`` answering who the caller is."""

from django.urls import include, path
from knox.auth import TokenAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response


@api_view(["GET", "POST", "PUT", "PATCH"])
@authentication_classes([TokenAuthentication])
@permission_classes([IsAuthenticated])
def whoami(request):
    return Response({"user": request.user.get_username(), "auth": request.auth.token_key})


urlpatterns = [
    path("knox/", include("knox.urls")),
    path("knox/", whoami),
]
