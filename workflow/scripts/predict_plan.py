"""Rules predict_plan / predict_plan_figure: the config's hardware budget under every law
(scalinglab.predict.report.make_plan) -> plan.json, and the plan on the loss contours."""
import logging
import sys

from scalinglab.predict.budget import PlanError

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO,
                    format="%(asctime)s %(message)s")
try:
    if snakemake.rule == "predict_plan":
        from scalinglab.fits.io import write_json
        from scalinglab.predict.report import make_plan

        p = snakemake.config["predict"]["plan"]
        plan = make_plan(p["gpus"], p["gpu_type"], p["days"], p["mfu"], p["dtype"],
                         p["inference_tokens"], fitted_tables=list(snakemake.input.fitted),
                         skip_unusable=True)
        for s in plan["skipped"]:
            logging.warning("skipped %s", s["reason"])
        for row in plan["plans"]:
            logging.info("%-28s N=%.3g D=%.3g D/N=%.1f L=%s", row["law"], row["params"],
                         row["tokens"], row["tokens_per_param"], row["loss"])
        write_json(plan, snakemake.output.plan)
    else:
        import json

        from scalinglab.predict.figures import plan_figure
        from scalinglab.style import save
        from scalinglab.predict.fitted import load_fitted_law
        from scalinglab.predict.laws import published_laws

        plan = json.loads(open(snakemake.input.plan).read())
        laws = published_laws() + [load_fitted_law(t) for t in plan["fitted_tables"]]
        by_name = {law.name: law for law in laws}
        contour = by_name.get(snakemake.config["predict"]["plan"]["contour_law"])
        if contour is None or not contour.has_loss:
            raise PlanError(f"predict.plan.contour_law must name a law with a loss, one of "
                            f"{', '.join(n for n, l in by_name.items() if l.has_loss)}")
        save(plan_figure(plan, contour, laws), snakemake.output.png)
except PlanError as err:
    logging.error("%s", err)
    print(f"{snakemake.rule}: error: {err}", file=sys.stderr)
    sys.exit(1)
