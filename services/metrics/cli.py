"""Metrics operations: rebuild the daily rollup of any day, and prove every balance equals its ledger.

    python -m services.metrics.cli rebuild-day 2026-09-30 [--to 2026-10-07]
    python -m services.metrics.cli check-ledger        # exit 1 and a list when a balance differs

Each reads DATABASE_URL from the service config (deploy/config/service.yaml, or --config), or --database.
"""
import argparse
import sys
from datetime import date, timedelta

import psycopg2

from services.metrics import ledger, rollup


def rebuild(url, first, last):
    """Roll up first..last under the same advisory lock the timer takes (waits for it)."""
    conn = psycopg2.connect(url)
    try:
        day = first
        while day <= last:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (rollup.ROLLUP_LOCK,))
                shares = rollup.roll_up(cur, day)
            print(f"{day}: {shares} counted share(s)")
            day += timedelta(days=1)
    finally:
        conn.close()


def check_ledger(url):
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot for both sides
            return ledger.mismatches(cur)
    finally:
        conn.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.metrics.cli")
    parser.add_argument("--config", help="service config file (default deploy/config/service.yaml)")
    parser.add_argument("--database", help="the metrics database URL (instead of the config's)")
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild_cmd = commands.add_parser("rebuild-day", help="roll up a day (Asia/Shanghai) again, or a range of days")
    rebuild_cmd.add_argument("day", type=date.fromisoformat)
    rebuild_cmd.add_argument("--to", type=date.fromisoformat, help="last day of a range (inclusive)")
    commands.add_parser("check-ledger", help="every balance must equal the sum of its ledger entries")
    args = parser.parse_args(argv)

    url = args.database
    if url is None:
        from kepu_common.cli import service_config

        url = service_config("metrics", args.config)["DATABASE_URL"]
    if args.command == "rebuild-day":
        rebuild(url, args.day, args.to or args.day)
        return 0
    mismatched = check_ledger(url)
    for row in mismatched:
        print(f"{row['user_id']}: balance {row['balance']} but ledger sums to {row['ledger_sum']}")
    print("every balance equals its ledger" if not mismatched else f"{len(mismatched)} balance(s) differ")
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
