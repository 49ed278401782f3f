# Rules: quantization. (filled in by its issue)
