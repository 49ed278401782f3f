"""Rule quantization_scaling: figure 12, loss against width and data with fits, exponents against theory."""
import pandas as pd

from scalinglab.quantization.figures import plot_quanta_scaling

plot_quanta_scaling(pd.read_csv(snakemake.input.points), pd.read_csv(snakemake.input.fits),  # noqa: F821
                    alpha=float(snakemake.config["quantization"]["alpha"]), png_path=snakemake.output.png)  # noqa: F821
with open(snakemake.log[0], "w") as log:  # noqa: F821
    print(f"wrote {snakemake.output.png} and its .pdf", file=log)  # noqa: F821
