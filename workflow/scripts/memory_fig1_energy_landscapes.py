"""Rule memory_fig1_energy_landscapes: figure 1 (Niu et al. 2024, Fig. 1)."""
import logging

from scalinglab.memory.figures import plot_energy_landscapes
from scalinglab.style import save

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
e = snakemake.config["memory"]["energy"]
save(plot_energy_landscapes(e["patterns"], e["second_layer_patterns"], beta=e["beta"], extent=e["extent"],
                            resolution=e["resolution"]), snakemake.output.figure)
logging.info("energy landscapes of %d patterns on a %d^2 grid", len(e["patterns"]), e["resolution"])
