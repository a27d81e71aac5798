def _lt(message):
    """Mark a message for translation export; translated where it is shown."""
    return message
