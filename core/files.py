"""Headers for uploaded files served back to the people allowed to read them (RELIABILITY F6, issue 21 item 4).

Evidence, documents and photos are read on shared ward computers: "private, no-store" keeps them out of
every cache, the browser's included, so they are gone once the person signs out (a thumbnail as much as
the file). The CSP never lets a file run anything, be rendered as a page of ours, or be framed.
"""

UPLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
UPLOAD_CACHE_CONTROL = "private, no-store"


def protect_upload_response(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = UPLOAD_CSP
    response["Cache-Control"] = UPLOAD_CACHE_CONTROL
    return response
