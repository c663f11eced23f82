"""What the identity schemas (and so the gateway) need from the service: plain values, no I/O, no imports
of the service's modules (the import boundary, kepu_common/tests/test_import_contracts.py)."""

# what an SMS code is asked for (services/identity/sms.py)
SMS_PURPOSES = ("register", "login", "reset_password")
# a business licence or an appointment letter picture, stored by the gateway and checked by the service
LICENCE_MAX_BYTES = 10 * 1024 * 1024
