from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction

from accounts.models import ApiToken, ProviderProfile, User
from accounts.services import api_token_revoke, provider_profile_ensure


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name", "role"]


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ProviderProfileInline(admin.StackedInline):
    model = ProviderProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "role", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    inlines = [ProviderProfileInline]
    fieldsets = [
        (None, {"fields": ["email", "password", "public_id"]}),
        ("Profile", {"fields": ["display_name", "role"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def get_inlines(self, request, obj):
        # A new user's provider profile is created on save, not typed in.
        return self.inlines if obj is not None and obj.is_provider else []

    def save_model(self, request, obj, form, change):
        from catalog.services import listings_refresh  # catalog builds on accounts

        with transaction.atomic():
            super().save_model(request, obj, form, change)
            provider_profile_ensure(user=obj)
            # Deactivating an account takes its services off search; reactivating lists them again.
            listings_refresh(services=obj.services.all())

    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "display_name", "role", "usable_password", "password1", "password2"],
            },
        ),
    ]


@admin.register(ProviderProfile)
class ProviderProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "city", "updated_at"]
    search_fields = ["user__email", "user__display_name", "city"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["public_id", "user", "name", "prefix", "digest", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # tokens are created by their owners; staff can only revoke

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True))
        for token in active:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {len(active)} token(s).")
