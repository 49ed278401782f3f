"""Rule predict_figure_extrapolation: predictions table -> predicted-vs-measured figure."""
import pandas as pd

from scalinglab.predict.figures import extrapolation_figure
from scalinglab.style import save

pred = pd.read_csv(snakemake.input.predictions)
save(extrapolation_figure(pred, title=snakemake.params.title), snakemake.output.png)
