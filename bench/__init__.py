"""`make bench`: the figures of TARGETS.md (P1–P7), measured against the scale databases of ``seed_scale``.

Run ``python -m bench --scale city|national|both``; see ``bench/__main__.py`` and ``bench/RESULTS.md``.
"""
