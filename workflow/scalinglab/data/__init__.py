"""The data stage: corpora -> token ids -> a fixed validation split and nested training subsets.

Modules, one concept each:

- ``tokens``: the token-file format (flat ``uint16`` ``.bin`` + JSON sidecar), written atomically
  and opened with checks: :func:`open_tokens` is what every consumer calls.
- ``synthetic``: the seeded Zipf "facts" corpus whose entropy rate is known in closed form.
- ``sources``: OpenWebText (HF ``datasets``, the hub's parquet copy) and local text files.
- ``tokenize``: tiktoken GPT-2 BPE over the cores with bounded memory.
- ``split``: the document-level validation split and the nested subsets.
- ``prepare``: the whole stage, from config to files.
"""
from scalinglab.data.tokens import DataError, TokenFile, open_tokens, verify_tokens

__all__ = ["DataError", "TokenFile", "open_tokens", "verify_tokens"]
