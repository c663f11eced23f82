"""make demo: fill a running platform (make run) with a living platform's data, through the public API as
people would make it; run it again and it changes nothing. What it makes and how: scripts/demo/.

    python scripts/demo_data.py [--size full|small]     (GATEWAY_URL, default http://127.0.0.1:8000)
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common.cli import service_config  # noqa: E402
from scripts.demo.run import run  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/demo_data.py")
    parser.add_argument("--size", choices=("full", "small"), default="full")
    args = parser.parse_args(argv)
    figures = run(os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000"),
                  lambda service: service_config(service)["DATABASE_URL"], args.size)
    print(f"demo data ready in {figures['seconds']:.0f} s: {figures['orgs']} organizations, "
          f"{figures['communicators']} communicators, {figures['published_resources']} published resources, "
          f"{figures['approved_activities']} approved activities, {figures['history_added']} past shares added")
    print(f"platform admin {figures['admin_phone']} / {figures['password']}; organization admins "
          f"{', '.join(figures['org_admin_phones'][:3])}… (same password)")
    team = ", ".join(f"{phone} ({scope})" for scope, phone in figures["reviewer_phones"].items())
    print(f"reviewers {team} (same password; the national one leads its stage)")


if __name__ == "__main__":
    main()
