"""The form field every "where" input uses: a city from the gazetteer, or a street address."""

from dataclasses import dataclass

from django import forms

from catalog.addresses import address_resolve, addresses_enabled
from catalog.gazetteer import city_resolve


@dataclass(frozen=True)
class Place:
    label: str
    latitude: float
    longitude: float
    exact: bool = False  # a street address rather than a city


class PlaceField(forms.CharField):
    """Cleans to a Place (or None when left empty). Street addresses are accepted where
    `addresses=True` and an Addressable key is configured."""

    default_error_messages = {"unknown": "We don't know this place. Pick one from the suggestions."}

    def __init__(self, *, addresses: bool = False, **kwargs):
        self.addresses = addresses
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "city-suggestions", "autocomplete": "off"})

    def clean(self, value) -> Place | None:
        label = super().clean(value).strip()
        if not label:
            return None
        city = city_resolve(label)
        if city is not None:
            return Place(city.label, city.latitude, city.longitude)
        address = address_resolve(label) if self.addresses and addresses_enabled() else None
        if address is not None:
            return Place(address.formatted, address.latitude, address.longitude, exact=True)
        raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
