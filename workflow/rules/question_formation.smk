# Rules: question_formation. (filled in by its issue)
