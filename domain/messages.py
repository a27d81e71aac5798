def _lt(message: str) -> str:
    """Mark a message for translation export; translated where it is shown."""
    return message
