"""The same four endpoints as drf_parity's, with the same classes and the same JSON bodies."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


def bare(request):
    return JsonResponse({"ok": True})


class Caller(APIView):
    def get(self, request):
        auth = request.auth
        return Response({"user": str(request.user), "auth": getattr(auth, "key", None)})


class Open(Caller):
    authentication_classes = [BasicAuthentication]
    permission_classes = [AllowAny]


class TokenView(Caller):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]


class BasicView(Caller):
    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]


urlpatterns = [
    path("bare/", bare),
    path("open/", Open.as_view()),
    path("token/", TokenView.as_view()),
    path("basic/", BasicView.as_view()),
]
