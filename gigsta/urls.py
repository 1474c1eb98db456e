from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from gigsta import views
from gigsta.api import api

admin.site.site_header = "GigSta staff"
admin.site.site_title = "GigSta staff"
admin.site.index_title = "Marketplace administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("ready", views.ready, name="ready"),
    path("metrics", views.metrics, name="metrics"),
    # Our account pages (profile, API tokens, webhooks) and allauth's (login, sign-up, email, password).
    path("", include("catalog.urls")),
    path("", include("bookings.urls")),
    path("", include("payments.urls")),
    path("", include("inbox.urls")),
    path("", include("calendars.urls")),
    path("", include("favourites.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("webhooks.urls")),
    path("accounts/login/", accounts_views.LoginView.as_view(), name="account_login"),  # before allauth's
    path("accounts/signup/", accounts_views.SignupView.as_view(), name="account_signup"),  # before allauth's
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "gigsta.views.error_400"
handler403 = "gigsta.views.error_403"
handler404 = "gigsta.views.error_404"
handler500 = "gigsta.views.error_500"
