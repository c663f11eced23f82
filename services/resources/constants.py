"""What the resources schemas (and so the gateway) need from the service: plain values, no I/O, no imports
of the service's modules (the import boundary, kepu_common/tests/test_import_contracts.py)."""

# the orders search() offers (services/resources/search.py maps each to its SQL)
SEARCH_ORDERS = ("newest", "downloads")

# --- uploads: what each purpose accepts (services/resources/formats.py checks the bytes against it) ---
MB = 1024 * 1024
PDF = "application/pdf"
# what browsers send for a .docx (the bytes sniff as a zip: documents.check_docx proves it is Word)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGES = ("image/jpeg", "image/png", "image/webp")
VIDEOS = ("video/mp4", "video/quicktime", "video/webm")
# upload purpose -> (content types its bytes may be, default size limit)
UPLOAD_PURPOSES = {
    "article": ((PDF, DOCX, "image/jpeg", "image/png"), 200 * MB),
    "image": (IMAGES + ("image/gif",), 50 * MB),
    # wall charts are printed posters: images or PDFs, the platform makes a thumbnail of either
    "wallchart": (IMAGES + (PDF,), 300 * MB),
    "video": (VIDEOS, 4096 * MB),
    "audio": (("audio/mpeg", "audio/mp4", "audio/wav", "audio/ogg"), 500 * MB),
    "debunk": ((PDF, DOCX, "image/jpeg", "image/png", "video/mp4"), 1024 * MB),
    "thumbnail": (IMAGES, 10 * MB),
    "activity_poster": (IMAGES, 10 * MB),
    "followup_photo": (IMAGES, 20 * MB),
    "followup_video": (VIDEOS, 500 * MB),
    # a person's files for communities (services/resources/communities.py): a cover, a post's images or video
    "community_cover": (IMAGES, 10 * MB),
    "post_image": (IMAGES + ("image/gif",), 20 * MB),
    "post_video": (VIDEOS, 200 * MB),
}
ACTIVITY_PURPOSES = ("activity_poster", "followup_photo", "followup_video")
# uploaded by a person for themself (no organization): the upload's org_id column holds the uploader's id
PERSONAL_PURPOSES = ("community_cover", "post_image", "post_video")

# storage scrubbing's findings (services/resources/scrub.py)
FINDING_KINDS = ("mismatch", "missing")

# --- the social half (services/resources/social_rules.py) ---
COMMENT_TARGETS = ("resource", "activity", "post")
FAVORITE_TYPES = ("resource", "activity", "post")
COMMENT_MAX = 1000  # characters of a comment
POST_MAX = 5000
