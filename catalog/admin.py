from django import forms
from django.contrib import admin
from django.db import transaction

from catalog.cache import catalog_changed
from catalog.models import BusyDay, Category, Pricing, ProviderPhoto, Service, ServicePhoto
from catalog.photos import service_photo_delete
from catalog.pricing import hourly_price
from catalog.services import listings_refresh


class ServiceAdminForm(forms.ModelForm):
    """An hourly service's price_minor is what its typical duration costs: worked out, not typed."""

    def clean(self):
        data = super().clean()
        rate, minutes = data.get("hourly_rate_minor"), data.get("duration_minutes")
        if data.get("pricing") == Pricing.HOURLY and rate and minutes:
            data["price_minor"] = hourly_price(rate, minutes)
        return data


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = [
        "title", "provider", "category", "pricing", "price_minor", "hourly_rate_minor", "currency", "city",
        "is_active", "created_at",
    ]  # fmt: skip
    list_filter = ["is_active", "pricing", "category", "currency"]
    search_fields = ["title", "provider__email", "provider__display_name", "city"]
    list_select_related = ["provider", "category"]
    raw_id_fields = ["provider"]
    readonly_fields = ["public_id", "search_text", "created_at", "updated_at"]
    actions = ["hide_from_search"]

    @admin.action(description="Hide selected services from search")
    def hide_from_search(self, request, queryset):
        with transaction.atomic():
            count = queryset.filter(is_active=True).update(is_active=False)
            listings_refresh(services=queryset)
        catalog_changed()
        self.message_user(request, f"Hid {count} service(s).")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            listings_refresh(services=Service.objects.filter(pk=obj.pk))
        catalog_changed()


@admin.register(BusyDay)
class BusyDayAdmin(admin.ModelAdmin):
    list_display = ["provider", "date", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["provider__email", "provider__display_name"]
    list_select_related = ["provider"]
    raw_id_fields = ["provider"]


@admin.register(ProviderPhoto)
class ProviderPhotoAdmin(admin.ModelAdmin):
    list_display = ["provider", "position", "width", "height", "created_at"]
    list_select_related = ["provider"]
    raw_id_fields = ["provider"]
    readonly_fields = ["public_id", "width", "height", "created_at"]


@admin.register(ServicePhoto)
class ServicePhotoAdmin(admin.ModelAdmin):
    """Staff look and take down; providers add and arrange on their service's page. Removal goes
    through catalog.photos (files removed, the cover handed on), never a bare delete."""

    list_display = ["service", "position", "alt", "width", "height", "created_at"]
    list_select_related = ["service"]
    search_fields = ["service__title", "service__provider__email", "alt"]
    readonly_fields = ["public_id", "service", "small", "medium", "large", "thumbnail", "width", "height", "position"]
    readonly_fields += ["alt", "created_at"]
    actions = ["remove_photos"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):  # the bulk delete would leave files and a cover behind
        return {name: action for name, action in super().get_actions(request).items() if name != "delete_selected"}

    @admin.action(description="Remove selected photos (and their files)")
    def remove_photos(self, request, queryset):
        photos = list(queryset.select_related("service"))
        for photo in photos:
            service_photo_delete(photo=photo, actor=request.user)
        self.message_user(request, f"Removed {len(photos)} photo(s).")
