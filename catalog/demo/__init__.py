"""Demo and scale data.

`manage.py seed_demo` creates five demo accounts with a known password and two services for
each demo provider. `manage.py seed_demo --providers 20000` also creates that many numbered
providers (provider00001@scale.gigsta.local, ...) with about three services each, for load
tests and for judging search on a realistic catalogue. Both parts are idempotent: existing
accounts are left alone and only missing numbered providers are added. A provider's data
depends only on the seed and its number, so any run with the same seed gives the same catalogue.
"""
