# Rules: fits. (filled in by its issue)
