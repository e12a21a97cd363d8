"""Durin's own URLs under ``/durin/``, plus the view ``drf_parity`` serves at ``/durin/``."""

from django.urls import include, path
from durin.auth import TokenAuthentication
from durin.throttling import UserClientRateThrottle
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmI(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserClientRateThrottle]

    def get(self, request):
        return Response({"user": request.user.get_username(), "auth": request.auth.token})


urlpatterns = [
    path("durin/", WhoAmI.as_view()),
    path("durin/", include("durin.urls")),
]
