"""make bench: GigSta under load on this machine (python -m bench.run)."""
