"""scalinglab: the science behind the workflow.

Importable without Snakemake. Subpackages, one concept each:

- ``scalinglab.data``: corpora (OpenWebText, local files, the synthetic Zipf corpus), tokenization, splits, nested subsets.
- ``scalinglab.model`` / ``scalinglab.counting`` / ``scalinglab.train``: GPT-2 family, parameter and FLOP conventions, trainer.
- ``scalinglab.memory``: associative-memory analyses of Niu et al. 2024.
- ``scalinglab.question_formation``: question formation (McCoy et al. 2020) as used in Niu et al. 2024 §6.3.
- ``scalinglab.fits``: Kaplan et al. 2020 and Hoffmann et al. 2022 fits, public Chinchilla points.
- ``scalinglab.quantization``: the quantization model of Michaud et al. 2023 (multitask sparse parity).
- ``scalinglab.predict``: extrapolation checks and the compute planner.
- ``scalinglab.report``: the report's own pieces (figure 13, the run sanity table).

Each analysis package has ``stages.py`` (one plain function per Snakemake rule, named after the
rule: paths and params in, files out; ``scalinglab.adapter`` calls them) and, where it draws
figures, ``figures.py`` (one function per figure, named after its file: data in, figure out, in
the style of ``scalinglab.style``). Shared: ``scalinglab.io`` (the one atomic writer),
``scalinglab.intervals`` (bootstrap intervals), ``scalinglab.config`` (parse-time config checks),
``scalinglab.reference`` (reference losses).
"""

__version__ = "0.1.0"
