"""Small real images for the journeys (licences are checked by their structure, not their first bytes)."""
import io

from PIL import Image


def png(size=(320, 200), colour=(240, 240, 230)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()
