"""Binding names the decorators need at import time, in one place.

Queue names are ``%SETTING%`` expressions resolved by the Functions host from app
settings, so the trigger and the app's own sender read the same setting.
"""

# Storage account of the app's queues: the guide's setting, so triggers listen where the app sends.
STORAGE_CONNECTION = "AZURE_STORAGE_CONNECTION_STRING"
PARSE_QUEUE = "%PARSE_QUEUE_NAME%"
PARSE_POISON_QUEUE = "%PARSE_QUEUE_NAME%-poison"
WEBHOOK_QUEUE = "%WEBHOOK_QUEUE_NAME%"
WEBHOOK_POISON_QUEUE = "%WEBHOOK_QUEUE_NAME%-poison"
# NCRONTAB, six fields (seconds first); SWEEP_SCHEDULE in app settings, every minute by default.
SWEEP_SCHEDULE = "%SWEEP_SCHEDULE%"
