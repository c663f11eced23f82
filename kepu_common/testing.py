"""Shared by the test suites: where the test broker and database server are, and database clean-up."""
import os

import psycopg2

DATABASE_SERVER = os.environ.get("TEST_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
AMQP_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")
RABBIT_API = os.environ.get("TEST_RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")


def admin_connection():
    conn = psycopg2.connect(f"{DATABASE_SERVER}/postgres")
    conn.autocommit = True
    return conn


def run_admin(sql):
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def drop_database(name):
    run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
