"""Identity's names that the gateway needs too, with no I/O and no imports of the service's runtime."""


def letter_prefix(user_id):
    """Where a user's appointment letters (a district or street admin's evidence) are stored."""
    return f"appointments/{user_id}/"
