"""Security and reliability targets of RELIABILITY.md that span apps: uploads, authorization, headers, CSRF."""
