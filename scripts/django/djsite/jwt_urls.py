"""simplejwt's views at the paths its documentation uses, and ``jwt/``: JWTAuthentication and
IsAuthenticated answering ``{"user": str(request.user), "auth": the token's jti}``, as
``drf_parity``'s ``/jwt/`` does."""

from django.urls import path
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt import views
from rest_framework_simplejwt.authentication import JWTAuthentication


@api_view(["GET", "POST", "PUT", "PATCH"])
@authentication_classes([JWTAuthentication])
@permission_classes([IsAuthenticated])
def jwt_view(request):
    return Response({"user": str(request.user), "auth": request.auth.get("jti")})


urlpatterns = [
    path("api/token/", views.TokenObtainPairView.as_view()),
    path("api/token/refresh/", views.TokenRefreshView.as_view()),
    path("api/token/verify/", views.TokenVerifyView.as_view()),
    path("api/token/blacklist/", views.TokenBlacklistView.as_view()),
    path("api/token/sliding/", views.TokenObtainSlidingView.as_view()),
    path("api/token/sliding/refresh/", views.TokenRefreshSlidingView.as_view()),
    path("jwt/", jwt_view),
]
