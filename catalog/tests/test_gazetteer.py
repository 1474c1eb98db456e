from catalog.gazetteer import city_resolve, city_suggest


def test_suggest_by_prefix_most_populous_first():
    labels = [c.label for c in city_suggest("ber")]
    assert labels[0] == "Berlin, Germany"
    assert len(labels) == 8


def test_suggest_ignores_accents_and_case():
    assert city_suggest("ZURI")[0].label == "Zürich, Switzerland"


def test_suggest_needs_two_letters():
    assert city_suggest("b") == []
    assert city_suggest("") == []


def test_resolve_label_or_bare_name():
    berlin = city_resolve("Berlin, Germany")
    assert berlin.timezone == "Europe/Berlin" and round(berlin.latitude, 1) == 52.5
    assert city_resolve("berlin") == berlin
    assert city_resolve("Nowhere-on-Sea") is None


def test_shared_names_carry_the_region():
    springfields = [c.label for c in city_suggest("springfield", limit=20)]
    assert len(springfields) == len(set(springfields)) > 1
    plain = [label for label in springfields if label.startswith("Springfield,") or label.startswith("Springfield (")]
    assert len(plain) > 1 and all(label.startswith("Springfield (") for label in plain)


def test_big_cities_are_found_by_their_other_names():
    assert city_resolve("Cologne").label == "Köln, Germany"
    assert "Köln, Germany" in [c.label for c in city_suggest("cologn")]
