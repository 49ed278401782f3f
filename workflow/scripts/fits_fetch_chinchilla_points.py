"""Rule fits_fetch_chinchilla_points: download Besiroglu et al. 2024's points (Chinchilla Fig. 4)."""
from scalinglab.fits.io import run_main
from scalinglab.fits.public_points import download_points


def main(snakemake):
    download_points(snakemake.output.points, snakemake.params.url)


run_main(main, snakemake)  # noqa: F821 (injected by Snakemake)
