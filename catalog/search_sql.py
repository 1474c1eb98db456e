"""Raw SQL for search on PostgreSQL, each piece beside its portable fallback.

Search reads catalog.models.Listing, one narrow row per listed service. PostgreSQL answers the
hot questions from indexes that catalog migration 0009 creates there only:

- words: the listing's `search_document`, the words of its service's search_text as a tsvector,
  with a GIN index, asked with prefix queries (`band:* & wedd:*`); elsewhere one `ServiceKeyword`
  prefix look-up per word;
- location: a GiST index on `gigsta_earth(latitude, longitude)`, ll_to_earth through a function
  of ours that restores from a backup and is inlined (catalog migrations 0008, 0010) (cube and earthdistance
  extensions): `earth_box(...) @>` finds the rows within a radius, and `<->` (straight-line
  distance through the earth, which orders rows exactly as the great-circle distance does)
  walks them nearest first; elsewhere a latitude/longitude bounding box on an ordinary index.

The exact distance (haversine, in km) is computed the same way on every database, so answers
agree; only the path to the rows differs. Every function here is tested on both databases.
"""

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual

from catalog.models import ServiceKeyword


class _PostgresSQL(Func):
    """SQL text around compiled arguments: `template` names them {0}, {1}, ...; columns compile to
    whatever alias the query gives the table, so these work inside subqueries too."""

    template_sql = ""

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        params = [param for _, expression_params in compiled for param in expression_params]
        return self.template_sql.format(*(sql for sql, _ in compiled)), params


class _WordsMatch(_PostgresSQL):
    # The listing's search_document column (migration 0009), which the model does not declare:
    # named through the compiled reference to the listing's key, so the query's alias is kept.
    template_sql = "{0} @@ to_tsquery('simple'::regconfig, {1})"
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        column = compiler.compile(self.get_source_expressions()[0])[0]
        document = column.removesuffix('"service_id"') + '"search_document"'
        return document + sql.removeprefix(column), params


class _SearchDocument(_PostgresSQL):
    template_sql = "strip(to_tsvector('simple'::regconfig, {0}))"  # words only: no positions to store
    output_field = TextField()  # a tsvector, only ever written straight into the listing


class _WithinEarthBox(_PostgresSQL):
    # The expression of the listing_earth index inside the box around a point.
    template_sql = "earth_box(ll_to_earth({2}::float8, {3}::float8), {4}::float8) @> gigsta_earth({0}, {1})"
    output_field = BooleanField()


class _EarthDistance(_PostgresSQL):
    # Straight-line distance through the earth from the listing_earth index's points: the KNN operator.
    template_sql = "gigsta_earth({0}, {1}) <-> ll_to_earth({2}::float8, {3}::float8)"
    output_field = FloatField()


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def search_document(search_text: F) -> Func:
    """PostgreSQL: the tsvector of a service's search text, as the listing stores it."""
    return _SearchDocument(search_text)


def words_match(words: list[str]) -> Q | Func:
    """Listings with every word as a prefix of one of their search words. `words` come from
    catalog.services.words_of: lower-case letters and digits only, safe inside a tsquery."""
    if on_postgresql():
        return _WordsMatch(F("pk"), Value(" & ".join(f"{word}:*" for word in words)))
    condition = Q()
    for word in words:
        condition &= Exists(ServiceKeyword.objects.filter(service_id=OuterRef("pk"), word__startswith=word))
    return condition


def within_box(lat: float, lng: float, radius_km: float, box: tuple[float, float, float, float] | None) -> Q | Func:
    """A cheap, index-answered superset of the services within `radius_km` of (lat, lng); the
    caller keeps the exact distance test. `box` is the portable bounding box (None near a pole
    or the antimeridian, where it would be wrong: then no prefilter on SQLite)."""
    if on_postgresql():
        return _WithinEarthBox(F("latitude"), F("longitude"), Value(lat), Value(lng), Value(radius_km * 1000))
    if box is None:
        return Q()
    min_lat, max_lat, min_lng, max_lng = box
    return Q(latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng))


def nearest_first(lat: float, lng: float, exact_distance):
    """An ordering by distance from (lat, lng)."""
    if on_postgresql():
        return _EarthDistance(F("latitude"), F("longitude"), Value(lat), Value(lng)).asc()
    return exact_distance.asc()


EARTH_DIAMETER_M = 12_742_018  # farther than any two points: "no cut-off"


def nearest_cutoff(qs: QuerySet, lat: float, lng: float, count: int) -> Q | Func:
    """Only the rows of `qs` no farther from (lat, lng) than its `count`-th nearest, ties included.

    PostgreSQL walks the GiST index nearest first only for an ORDER BY of the distance alone, and a
    page sorts by distance and then more keys. So one subquery walks the index to the `count`-th
    nearest match, and the page sorts exactly, in full order, among the rows within that distance
    (found by the same index): no more than a few pages' worth whatever the catalogue's size.
    Elsewhere: no condition (the page sorts every match)."""
    if not on_postgresql():
        return Q()
    distance = _EarthDistance(F("latitude"), F("longitude"), Value(lat), Value(lng))
    kth = qs.annotate(knn_distance=distance).order_by("knn_distance").values("knn_distance")[count - 1 : count]
    radius = Coalesce(Subquery(kth), Value(float(EARTH_DIAMETER_M)))
    within = _WithinEarthBox(F("latitude"), F("longitude"), Value(lat), Value(lng), radius)
    return within & LessThanOrEqual(distance, radius)


def first_ids(qs: QuerySet, limit: int) -> list:
    """The keys of up to `limit` rows of `qs`, in no order.

    Planned for every match (a materialized CTE hides the LIMIT from the planner): planned for the
    first few, PostgreSQL scans the whole table when it believes matches common that are in fact
    rare together ("band" among photographers), where the indexes would have found none at once.
    The CTE still stops reading once `limit` rows are out."""
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"WITH matches AS MATERIALIZED ({sql}) SELECT * FROM matches LIMIT %s", [*params, limit])  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def page_in_window(
    qs: QuerySet, condition, order: list, fields: list[str], offset: int, limit: int, window: int
) -> list[tuple] | None:
    """Rows of `qs` meeting `condition`, in `order`, from `offset`, `limit` of them, looked for
    among the first `window` rows of `qs` in that order only; None when the window does not hold
    that many (the caller then sorts every match). A full page from the window is the exact answer:
    any match after the window comes after all of them. Each row is `fields` (values_list names).

    PostgreSQL keeps a subquery's order through a filter, so the outer query needs no sort."""
    if not on_postgresql():
        return None
    inner = qs.annotate(window_hit=condition).order_by(*order, "pk").values_list(*fields, "window_hit")[:window]
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM ({sql}) walked WHERE walked.window_hit LIMIT %s OFFSET %s",  # noqa: S608
            [*params, limit, offset],
        )
        rows = cursor.fetchall()
    return [row[:-1] for row in rows] if len(rows) == limit else None
