"""The site's URLs and uploaded media served from MEDIA_ROOT, for browser journeys that show photos
(the site serves media only with DEBUG on; tests run with it off)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from gigsta.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)  # read per request: tests move it


urlpatterns = [*urlpatterns, re_path(r"^media/(?P<path>.*)$", media)]
