"""DOT's endpoints under ``/o/``, as ``drf_parity`` mounts ours."""

from django.urls import include, path

urlpatterns = [path("o/", include("oauth2_provider.urls", namespace="oauth2_provider"))]
