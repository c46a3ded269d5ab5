"""pydotorg/urls_api.py's v1 and v2 downloads routes, without the sponsors views, and
pydotorg/urls.py's ``download`` namespace: publishing a Release with files renders the
download boxes (``update_supernav``), whose templates reverse those URLs."""

from apps.downloads.api import (  # type: ignore[import-not-found]
    OSResource,
    OSViewSet,
    ReleaseFileResource,
    ReleaseFileViewSet,
    ReleaseResource,
    ReleaseViewSet,
)
from apps.pages.api import PageResource, PageViewSet  # type: ignore[import-not-found]
from django.urls import include, path  # type: ignore[import-not-found]
from rest_framework import routers  # type: ignore[import-not-found]
from tastypie.api import Api  # type: ignore[import-not-found]

v1_api = Api(api_name="v1")
for resource in (PageResource(), OSResource(), ReleaseResource(), ReleaseFileResource()):
    v1_api.register(resource)
router = routers.DefaultRouter()
router.register(r"pages/page", PageViewSet, basename="page")
router.register(r"downloads/os", OSViewSet)
router.register(r"downloads/release", ReleaseViewSet, basename="release")
router.register(r"downloads/release_file", ReleaseFileViewSet)
urlpatterns = [
    path("api/", include(v1_api.urls)),
    path("api/v2/", include(router.urls)),
    path("downloads/", include("apps.downloads.urls", namespace="download")),
]
