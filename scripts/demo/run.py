"""The order of make demo: the admin, organizations and communicators, reviewers, resources, activities, mall items,
today's shares, the past 30 days of shares, redemptions. Every step finds what a previous run made and
adds only what is missing."""
import time

from scripts.demo import activities, mall, orgs, resources, reviewers, shares
from scripts.demo.api import Api
from services.identity.cli import create_admin

ADMIN_PHONE = "13800138000"
# communicators per organization (by its index), of whom `stars` share about a dozen times a day
SIZES = {
    "full": {"per_org": lambda i: 5 + (i * 3) % 4, "stars": 6, "history_days": 30},
    "small": {"per_org": lambda i: 2 if i < 4 else 1, "stars": 2, "history_days": 30},
}


def run(gateway_url, database_url, size="full", log=print):
    """database_url(service) gives a service's database (the demo writes there only to create the first
    platform admin, to move activity dates back and to seed the past shares). Returns the figures."""
    plan = SIZES[size]
    api = Api(gateway_url)
    began = time.monotonic()

    def step(what):
        log(f"[{time.monotonic() - began:5.1f}s] {what}")

    create_admin(database_url("identity"), ADMIN_PHONE, api.password)
    admin = api.sign_in(ADMIN_PHONE)
    the_orgs = orgs.organizations(api, admin)
    step(f"{len(the_orgs)} organizations")
    people = orgs.communicators(api, admin, the_orgs, plan["per_org"])
    step(f"{len(people)} communicators")
    team = reviewers.reviewers(api, admin)
    step(f"{len(team)} reviewers")
    published = resources.resources(api, admin, the_orgs)
    step(f"{len(published)} published resources")
    approved = activities.activities(api, admin, the_orgs, database_url("activities"))
    step(f"{len(approved)} approved activities")
    contents = [("resource", r) for r in published] + [("activity", a) for a in approved[:2]]
    shared_today = shares.today(api, people, contents)
    step(f"{shared_today} shares today")
    history = shares.history(database_url("metrics"), people, contents, plan["stars"], plan["history_days"])
    step(f"{history['added']} past shares added, {len(history['rolled_up'])} day(s) rolled up")
    wares = mall.items(api, admin)
    redeemed = mall.redemptions(api, admin, people, wares)
    step(f"{len(wares)} mall items, {redeemed} redemptions")
    figures = {"orgs": len(the_orgs), "communicators": len(people), "published_resources": len(published),
               "approved_activities": len(approved), "shares_today": shared_today,
               "history_added": history["added"], "redemptions": redeemed, "seconds": time.monotonic() - began,
               "admin_phone": ADMIN_PHONE, "password": api.password, "org_admin_phones": [o["phone"] for o in the_orgs],
               "reviewer_phones": {r["scope"]: r["phone"] for r in team}}
    return figures

