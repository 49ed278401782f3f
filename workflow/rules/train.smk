# Rules: train. (filled in by its issue)
