"""scalinglab: the science behind the workflow.

Importable without Snakemake. Subpackages, one concept each:

- ``scalinglab.data``: corpora (OpenWebText, local files, the synthetic Zipf corpus), tokenization, splits, nested subsets.
- ``scalinglab.model`` / ``scalinglab.counting`` / ``scalinglab.train``: GPT-2 family, parameter and FLOP conventions, trainer.
- ``scalinglab.memory``: associative-memory analyses of Niu et al. 2024.
- ``scalinglab.question_formation``: question formation (McCoy et al. 2020) as used in Niu et al. 2024 §6.3.
- ``scalinglab.fits``: Kaplan et al. 2020 and Hoffmann et al. 2022 fits, public Chinchilla points.
- ``scalinglab.quantization``: the quantization model of Michaud et al. 2023 (multitask sparse parity).
- ``scalinglab.predict``: extrapolation checks and the compute planner.
- ``scalinglab.<analysis>.figures``: one function per figure, data in, figure out (style: ``scalinglab.style``).
"""

__version__ = "0.1.0"
