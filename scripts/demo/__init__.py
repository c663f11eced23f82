"""make demo: a living platform, made through the public API as people would make it (communicators verify,
organizations register, upload, publish; a platform admin works the review queues), plus the two things the
API cannot do honestly: the past (30 days of shares, seeded beside the metrics service by
scripts.demo.metrics_history) and activities that have already begun or ended (their stored dates moved
back, scripts/demo/clock.py). Run it again and it changes nothing.

run.py is the order of things; api.py the HTTP client; media.py the real small files; orgs.py, resources.py,
activities.py, shares.py and mall.py one part of the platform each.
"""
