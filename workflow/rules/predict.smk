# Rules: predict. (filled in by its issue)
