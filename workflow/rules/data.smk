# Rules: data. (filled in by its issue)
