from django.conf import settings


def site(request):
    return {"SITE_NAME": "GigSta", "DEBUG": settings.DEBUG}
