"""Small builders for catalog tests; they go through the real services."""

from catalog.services import ServiceData, service_create

CITIES = {
    "berlin": ("Berlin, Germany", 52.52437, 13.41053),
    "potsdam": ("Potsdam, Germany", 52.39886, 13.06566),
    "hamburg": ("Hamburg, Germany", 53.55073, 9.99302),
    "munich": ("Munich, Germany", 48.13743, 11.57549),
}


def service_data(**overrides) -> ServiceData:
    """What a provider sends for a service: a Berlin wedding band unless `overrides` say otherwise."""
    data = {
        "title": "Wedding band for your first dance",
        "description": "Soul and funk covers, three sets.",
        "category": "live-music",
        "price_minor": 150000,
        "currency": "EUR",
        "duration_minutes": 180,
        "city": "Berlin, Germany",
    }
    return ServiceData(**{**data, **overrides})


def make_service(provider, **overrides):
    return service_create(provider=provider, data=service_data(**overrides))


def image_upload(size=(2400, 1600), fmt="PNG", name="photo.png", color=(200, 80, 20)):
    """An uploaded image file made with Pillow."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def add_photos(service, count=1, **kwargs):
    """`count` photos added to `service` by its provider, through the real service."""
    from catalog.photos import service_photos_add

    uploads = [image_upload(name=f"photo-{i}.png", **kwargs) for i in range(count)]
    return service_photos_add(service=service, actor=service.provider, uploads=uploads)
