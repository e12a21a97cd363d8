"""Djoser under ``auth/`` and dj-rest-auth under ``dj-rest-auth/``, as ``drf_parity`` mounts them,
and the ``password_reset_confirm`` route dj-rest-auth's reset email links to."""

from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("auth/", include("djoser.urls")),
    path("auth/", include("djoser.urls.authtoken")),
    path("dj-rest-auth/", include("dj_rest_auth.urls")),
    path(
        "password-reset/confirm/<uidb64>/<token>/",
        TemplateView.as_view(),
        name="password_reset_confirm",
    ),
]
