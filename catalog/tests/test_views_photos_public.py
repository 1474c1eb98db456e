"""Photos where people look: covers in search cards and on the service page, galleries without
JavaScript, and what each costs in queries."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.photos import provider_photo_add, service_photo_set_alt, service_photo_set_cover
from catalog.services import service_set_active
from catalog.tests.factories import add_photos, image_upload, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def search(client, **params) -> str:
    return client.get(reverse("catalog:search"), params).content.decode()


def card_images(html: str) -> list[str]:
    return re.findall(r'<img class="result-card__photo"[^>]*>', html, re.S)


def test_a_card_shows_its_cover_responsive_lazy_and_sized(client, provider):
    service = make_service(provider, title="Soul band")
    make_service(provider, title="Jazz trio")
    (photo,) = add_photos(service, 1, size=(2400, 1600))
    service_photo_set_alt(photo=photo, actor=provider, alt="The band on stage")
    html = search(client)
    (img,) = card_images(html)
    assert f'src="{photo.medium.url}"' in img
    assert f"{photo.small.url} 320w, {photo.medium.url} 640w, {photo.large.url} 1280w" in img
    assert 'sizes="' in img and 'width="640" height="427"' in img
    assert 'loading="lazy"' in img and 'decoding="async"' in img and 'alt="The band on stage"' in img
    assert html.count('data-testid="no-cover"') == 1  # the jazz trio has a placeholder


def test_a_cover_without_words_is_described_by_the_title(client, provider):
    add_photos(make_service(provider, title="Soul band"), 1, size=(300, 300))
    assert 'alt="Soul band"' in card_images(search(client))[0]


def test_covers_cost_search_no_query(client, provider, django_assert_num_queries, django_capture_on_commit_callbacks):
    params = {"q": "band", "city": "Berlin, Germany", "radius_km": "250", "date": timezone.localdate().isoformat()}
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(20):
            service = make_service(provider, title=f"Party band {i}", city="Berlin, Germany")
            if i % 2:
                add_photos(service, 1, size=(300, 300), color=(i * 10, 0, 0))
    with django_assert_num_queries(4):  # as without photos: categories, count, the page's ids, its services
        html = search(client, **params)
    assert len(card_images(html)) == 10 and html.count('data-testid="no-cover"') == 10
    with django_assert_num_queries(3):
        search(client, **params, page_size="20", sort="price")


def test_a_new_cover_or_its_new_words_show_in_search_at_once(
    client, provider, settings, django_capture_on_commit_callbacks
):
    settings.SEARCH_CACHE_SECONDS = 60  # answers cached too: the change must reach past them
    service = make_service(provider, title="Soul band")
    with django_capture_on_commit_callbacks(execute=True):
        first, second = add_photos(service, 2, size=(300, 300))
    assert first.medium.url in card_images(search(client))[0]
    with django_capture_on_commit_callbacks(execute=True):
        service_photo_set_cover(photo=second, actor=provider)
    img = card_images(search(client))[0]
    assert second.medium.url in img and first.medium.url not in img
    with django_capture_on_commit_callbacks(execute=True):
        service_photo_set_alt(photo=second, actor=provider, alt="Horns at dusk")
    assert 'alt="Horns at dusk"' in card_images(search(client))[0]


def test_the_service_page_leads_with_the_cover_and_a_strip_of_thumbnails(
    client, provider, django_assert_num_queries, django_capture_on_commit_callbacks
):
    service = make_service(provider, title="Soul band")
    url = reverse("catalog:service", args=[service.public_id])
    with django_assert_num_queries(3):  # the service, the provider's picture, the reviews' count; no photos looked for
        html = client.get(url).content.decode()
    assert 'data-testid="service-photos"' not in html
    a, b, c = add_photos(service, 3, size=(1600, 1200))
    service_photo_set_cover(photo=b, actor=provider)
    with django_assert_num_queries(4):  # the service, the provider's picture, the service's photos, the reviews' count
        html = client.get(url).content.decode()
    cover = re.search(r'<img [^>]*data-testid="service-cover"[^>]*>', html, re.S)[0]
    assert b.large.url in cover and 'width="1280" height="960"' in cover and "srcset=" in cover
    strip = re.findall(r'<ul class="photo-strip".*?</ul>', html, re.S)[0]
    assert strip.count('loading="lazy"') == 3 and a.thumbnail.url in strip
    assert reverse("catalog:service-photo", args=[service.public_id, 3]) in strip
    assert "See all 3 photos" in html
    service_photo_set_cover(photo=c, actor=provider)
    html = client.get(url).content.decode()
    assert re.search(rf'src="{re.escape(c.large.url)}"', html)  # the cached page follows the new cover


def test_a_service_gallery_is_pages_with_previous_and_next(client, provider, django_assert_num_queries):
    service = make_service(provider, title="Soul band")
    _, b, _ = add_photos(service, 3, size=(800, 600))
    service_photo_set_alt(photo=b, actor=provider, alt="Horns at dusk")
    grid = reverse("catalog:service-photos", args=[service.public_id])
    with django_assert_num_queries(2):
        html = client.get(grid).content.decode()
    for n in (1, 2, 3):
        assert f'href="{reverse("catalog:service-photo", args=[service.public_id, n])}"' in html

    with django_assert_num_queries(2):
        html = client.get(reverse("catalog:service-photo", args=[service.public_id, 2])).content.decode()
    assert "Photo 2 of 3" in html and 'alt="Horns at dusk"' in html and b.large.url in html
    assert 'width="800" height="600"' in html
    assert re.search(rf'rel="prev" href="{reverse("catalog:service-photo", args=[service.public_id, 1])}"', html)
    assert re.search(rf'rel="next" href="{reverse("catalog:service-photo", args=[service.public_id, 3])}"', html)
    assert "Back to the service" in html and reverse("catalog:service", args=[service.public_id]) in html

    first = client.get(reverse("catalog:service-photo", args=[service.public_id, 1])).content.decode()
    last = client.get(reverse("catalog:service-photo", args=[service.public_id, 3])).content.decode()
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="next"' not in last and "Photo 1 of 3 of Soul band" in first.replace(
        "Photo 1 of 3</p>", "Photo 1 of 3 of Soul band"
    )
    for n in (0, 4):
        assert client.get(reverse("catalog:service-photo", args=[service.public_id, n])).status_code == 404
    service_set_active(service=service, actor=provider, is_active=False)
    assert client.get(grid).status_code == 404


def test_the_provider_gallery_replaces_links_to_the_bare_files(client, provider, django_assert_num_queries):
    first = provider_photo_add(provider=provider, upload=image_upload((900, 600)))
    provider_photo_add(provider=provider, upload=image_upload((600, 900), color=(0, 0, 200)))
    page = client.get(reverse("catalog:provider", args=[provider.public_id])).content.decode()
    gallery = re.search(r'data-testid="gallery".*?</ul>', page, re.S)[0]
    assert first.image.url not in gallery  # no link to the bare JPEG
    assert reverse("catalog:provider-photo", args=[provider.public_id, 1]) in gallery
    with django_assert_num_queries(2):
        html = client.get(reverse("catalog:provider-photo", args=[provider.public_id, 1])).content.decode()
    assert first.image.url in html and 'width="900" height="600"' in html and "Photo 1 of 2" in html
    assert "Back to Pete Provider" in html and 'rel="next"' in html
    assert client.get(reverse("catalog:provider-photos", args=[provider.public_id])).status_code == 200
    assert client.get(reverse("catalog:provider-photo", args=[provider.public_id, 3])).status_code == 404
