"""simplejwt's views at the paths its documentation uses."""

from django.urls import path
from rest_framework_simplejwt import views

urlpatterns = [
    path("api/token/", views.TokenObtainPairView.as_view()),
    path("api/token/refresh/", views.TokenRefreshView.as_view()),
    path("api/token/verify/", views.TokenVerifyView.as_view()),
    path("api/token/blacklist/", views.TokenBlacklistView.as_view()),
    path("api/token/sliding/", views.TokenObtainSlidingView.as_view()),
    path("api/token/sliding/refresh/", views.TokenRefreshSlidingView.as_view()),
]
