"""The README's pictures and results table come from the committed full runs."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from labkit import project_root
from labkit.book import headlines, readme


def _notebook(path: Path, png: bytes) -> Path:
    cells = [
        {"cell_type": "code", "source": "x = 1", "outputs": [], "metadata": {}},
        {"cell_type": "code", "source": ["fig = draw()\n", "plt.show()"], "metadata": {},
         "outputs": [{"output_type": "display_data", "metadata": {},
                      "data": {"image/png": base64.b64encode(png).decode(), "text/plain": "F"}}]},
    ]  # fmt: skip
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    return path


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def test_a_chapter_picture_is_its_cell_figure_shrunk(tmp_path):
    nb = _notebook(tmp_path / "07_x.ipynb", _png(1440, 300))
    small = Image.open(io.BytesIO(readme.shrink(readme.figure(nb, "fig = draw()"))))
    assert small.size == (readme.WIDTH, 150)
    with pytest.raises(readme.ReadmeError, match="no code cell holds 'nope'"):
        readme.figure(nb, "nope")
    with pytest.raises(readme.ReadmeError, match="has no figure"):
        readme.figure(nb, "x = 1")


def test_the_table_goes_between_the_markers_and_nowhere_else():
    text = f"intro\n{readme.START}\nold\n{readme.END}\nafter\n"
    assert (
        readme.with_table(text, "| new |\n")
        == f"intro\n{readme.START}\n| new |\n{readme.END}\nafter\n"
    )
    with pytest.raises(readme.ReadmeError, match="needs one"):
        readme.with_table("no markers", "| t |\n")


def test_the_readme_shows_the_committed_full_runs():
    text = (project_root() / "README.md").read_text()
    table = headlines.markdown(headlines.headlines(headlines.load("full")))
    assert readme.with_table(text, table) == text, "run `python -m labkit readme`"
    said = headlines.verdicts(headlines.headlines(headlines.load("full")))
    assert readme.with_table(text, said, readme.VERDICTS_START, readme.VERDICTS_END) == text
    generated = readme.with_details(text, headlines.load("full"))
    assert generated == text, "run `python -m labkit readme`"
    for stem in readme.figures():
        assert (project_root() / "docs" / f"{stem}.png").is_file(), stem
        assert f"docs/{stem}.png" in text, stem


def test_task1_details_come_from_the_metrics():
    from labkit.book import details

    version = {"test_accuracy": 0.99, "epochs": 3, "seeds": {"n": 3, "mean": 0.989, "sd": 0.001}}
    block = {"report": {"base": 0.98, "selected": 0.981}, "target": 0.995, "base": version,
             "selected": {**version, "test_accuracy": 0.996},
             "architecture": "Dense(10, softmax)"}  # fmt: skip
    settings = {"steps": {"mlp": 800, "cnn": 400}, "seeds": 2, "size_steps": 400, "size_seeds": 2,
                "size_datasets": ["mnist"], "tune_epochs": {"mlp": 2, "cnn": 1},
                "coarse_trials": 6, "fine_trials": 3, "final_seeds": 3,
                "precision": "float32"}  # fmt: skip
    record = {"seconds": 600, "results": {"mnist": {"cnn": block}, "settings": settings,
                                          "minutes": {"search": 5.0}}}  # fmt: skip
    text = details.mlp_cnn_tuning(record)
    assert "| MNIST CNN |" in text and "0.9960 (0.9890 ± 0.0010, n = 3)" in text
    assert "| met | yes |" in text and "MLP 800, CNN 400 steps, 2 seeds" in text
    assert "search 5.0" in text and "the whole chapter 10.0 min" in text
    record["results"]["trained_minutes"] = {"finals": 3.0, "experiment: sizes": 2.5}
    assert "finals 3.0, experiment: sizes 2.5 (arithmetic" in details.mlp_cnn_tuning(record)
    marked = "a\n<!-- task1:start -->\nold\n<!-- task1:end -->\nb\n"
    assert readme.with_details(marked, {"01_mlp_cnn_tuning": record}).startswith(
        "a\n<!-- task1:start -->\n| test accuracy"
    )
    assert readme.with_details(marked, {}) == marked


def test_task2_details_come_from_the_metrics():
    from labkit.book import details

    arm = {"mean": 0.99, "sd": 0.001, "n": 3}
    restored = [{"seed": 0, "original": 0.99, "permuted": 0.97, "restored": 0.99}]
    block = {"original": arm, "permuted": {**arm, "mean": 0.97}, "restored": restored,
             "difference": {"mean": -0.02, "sd": 0.001, "n": 3},
             "report_difference": -0.016}  # fmt: skip
    quiet = {**block, "difference": {"mean": 0.0005, "sd": 0.001, "n": 3}}
    quiet.pop("restored")
    quiet["weight_change_neighbour_correlation"] = {"original": 0.58, "permuted": 0.0}
    runs = [{"model": "cnn", "seconds": 90.0}, {"model": "cnn", "seconds": 110.0},
            {"model": "mlp", "seconds": 40.0}]  # fmt: skip
    record = {"seconds": 1200, "seed": 0, "results": {
        "mnist": {"cnn": block, "mlp": quiet}, "runs": runs,
        "settings": {"seeds": 3, "epochs": {"mlp": 4, "cnn": 3}, "subset": None}}}  # fmt: skip
    text = details.pixel_permutation(record)
    assert "| MNIST CNN | 0.9900 ± 0.0010 | 0.9700 ± 0.0010 | **-0.0200 ± 0.0010** |" in text
    assert "| +0.0005 ± 0.0010 |" in text  # inside two sd: not bold
    assert "restored 0.9900" in text and "MNIST: original 0.58, permuted 0.00" in text
    assert "CNN 100 s (2 runs)" in text and "the whole chapter 20.0 min" in text
    assert "all training images" in text


def test_task3_details_come_from_the_metrics():
    from labkit.book import details

    row = {"cse_minutes": 3.25, "cse_sd": 0.5, "first_epoch_s": 9.5, "seeds": 2}
    half = {"clocks": 900, "cse_minutes": 120.0, "cse_vs_mirror_time": 2.5}
    results = {
        "generator": {"n": 18000, "size": 150, "seconds": 61.0},
        "dataset": {"split": {"train": 14400, "val": 1800, "test": 1800}},
        "baselines_test": {"random_time": 176.8},
        "final": {"cse_minutes": 1.234, "n_test": 1800, "train_clocks": 32400,
                  "image_size": 96, "epochs": 14, "train_seconds": 1800.0, "symmetry": True,
                  "oracle": {"as read": 1.234, "true mark": 1.0},
                  "views": {"one view": 2.0, "four views averaged": 1.234},
                  "within": {"0": 0.5, "1": 0.8, "2": 0.9, "5": 0.97}},
        "mirrored": {"mirrored": half},
        "easy": {"cse_minutes": 4.0, "n": 1800},
        "comparisons": {"rung": "easy", "n": 6000, "split": {"train": 4800}, "size": 48,
                        "epochs": 4, "seeds": [0, 1]},
        "base_models": [{**row, "model": "classifier", "optimizer": "adam"}],
        "outputs": [{**row, "what": "one head of 720 classes", "cse_sd": float("nan")}],
        "report_model": {"size": 96, "params_150": 624392, "arms": [{**row, "arm": "no contrast"}]},
        "ladder": [{**row, "rung": "rotated", "cse_minutes": 180.2}],
    }  # fmt: skip
    text = details.clock_reading({"seconds": 3000, "machine": {"cores": 2}, "results": results})
    assert "| **reader** | generated, `leiden` | 1800 | **1.23** |" in text
    assert "| random time | generated, `leiden` | 1800 | 176.8 |" in text
    mirrored = "| the same reader, mirrored | generated, `mirrored` | 900 | 120.0 "
    assert mirrored + "(against the mirror time: 2.5) |" in text
    assert "trained on 32400 clocks" in text and "50.0 min on 2 CPU cores" in text
    assert "| base models | classifier, adam | 3.2 ± 0.5 | 9.5 |" in text
    assert "| outputs | one head of 720 classes | 3.2 | 9.5 |" in text  # one seed: no spread
    assert "| Figure 5 model (96x96) | no contrast |" in text and "624 392 parameters" in text
    assert "| base classifier by rung (one seed) | `rotated` | 180.2 |" in text
    assert "true mark 1.00" in text and "four views averaged 1.23" in text
    assert details.clock_reading({"results": {}}).startswith("Chapter 03's full run has not")

    # two readers over their seeds, and the report's findings with verdicts
    per_seed = {"0": {"cse": 2.5}, "1": {"cse": 2.9}}
    reader = {
        "seeds": [0, 1],
        "per_seed": per_seed,
        "cse_mean": 2.7,
        "cse_sd": 0.28,
        "test_se": 0.15,
        "within_1_min": 0.8,
        "exact": 0.5,
        "hour_accuracy": 0.97,
    }
    results["readers"] = {
        "time_labels": reader,
        "generator_labels": {**reader, "cse_mean": 1.5},
        "distinct_training_clocks": {"time_labels": 37440},
        "hour_slips_text": "**time labels** (2 seeds): 40-50 test clocks read an hour off",
    }
    results["claims"] = [
        {"section": "4.2", "claim": "one output does not learn", "verdict": "refuted"}
    ]
    results["report_model"]["table6_text"] = "Of these 10 clocks, 4 are read exactly."
    text = details.clock_reading({"seconds": 3000, "machine": {"cores": 2}, "results": results})
    assert (
        "| **reader on the time alone** (2 seeds) | generated, `leiden` | 1800 | **2.70** ± 0.28"
        in text
    )
    assert "| the time alone | 2.50, 2.90 | 0.800 | 0.500 | 0.970 | 37440 |" in text
    assert "| 4.2 | one output does not learn | refuted |" in text and "(1: 1 refuted)" in text
    assert "Of these 10 clocks, 4 are read exactly." in text and "| **reader** |" not in text
    assert (
        "What the hours read one off cost each reader (test clocks, per seed): **time labels** "
        "(2 seeds): 40-50" in text
    )
    assert "the generator-label reader (first seed) trained on" in text


def test_the_verdicts_name_every_row_with_a_target():
    rows = [
        headlines.Headline("04_vae", "VAE: -log p(x)", "87.90", target="<= 88", met=True),
        headlines.Headline("03_clock_reading", "clock error", "1.93", target="1.0", met=False),
        headlines.Headline("02_pixel_permutation", "no target", "+0.0001"),
        headlines.Headline("04_vae", "... its KL", "20.1", target="<= 25", met=True),
    ]
    said = headlines.verdicts(rows)
    assert said == (
        "Met: chapter 04: VAE: -log p(x) (87.90; target <= 88), its KL (20.1; target <= 25). "
        "Not met: chapter 03: clock error (1.93; target 1.0).\n"
    )
    assert headlines.verdicts(rows[2:3]) == ""
    on_mean = headlines.Headline("04_vae", "VAE", "86.78", target="mean < 86.76", met=True,
                                 judged="86.66")  # fmt: skip
    assert "VAE (mean 86.66; target mean < 86.76)" in headlines.verdicts([on_mean])


def test_vae_details_come_from_the_metrics():
    from labkit.book import details

    spread = {"first": 87.9, "mean": 88.1, "sd": 0.2, "n": 3}
    block = {"test_elbo_nats": 92.0, "test_iwae_nats": 87.9, "iwae_k": 1000, "latent_dim": 32,
             "epochs": 140, "train_seconds": 840.0, "iwae_spread": spread, "test_images": 10000,
             "train_images": 55000, "validation_images": 5000, "anchor_iwae_paper_vae_nats": 86.76,
             "target_nats": 88.0}  # fmt: skip
    results = {
        "vae": {**block, "kept_epochs": {"0": 131, "1": 140}, "target_met": False,
                "iwae_also": {"1000": {**spread, "first": 88.2}}},
        "autoregressive": {**block, "test_iwae_nats": 84.5, "epochs": 30},
        "fvsbn": {"test_nll_nats": 97.3, "epochs": 20, "train_seconds": 60.0, "flattened": True},
        "validation_choice": {"k": 100, "images": 5000, "models": {
            "VAE as derived": {"iwae_nll": 88.0, "elbo_nll": 92.0, "kl": 24.0, "gap": 4.0}}},
        "design": {"chosen": "MLP 512-512", "epochs": 8, "k": 100,
                   "validation_iwae_nats": {"MLP 512-256": 95.1, "MLP 512-512": 94.2},
                   "convolutional_encoder": {"validation_iwae_nats": 93.9,
                                             "mlp_validation_iwae_nats": 94.2,
                                             "time_ratio": 2.4}},
    }  # fmt: skip
    text = details.vae({"seconds": 4800, "seed": 0, "machine": {"cores": 2}, "results": results})
    assert "the committed run 80.0 min on 2 CPU cores" in text and "chosen: MLP 512-512" in text
    assert (
        "| **VAE as derived** (32-d code) | 92.00 | 87.90 (k = 1 000) | 88.10 ± 0.20 (n = 3) "
        "| 140 (kept 131-140) |" in text
    )
    assert "| ... the same draws, k = 1 000 | | 88.20 |" in text and "| 20 (flat) |" in text
    assert "mean over seeds is not below" in text and "| VAE as derived | 88.00 | 92.00" in text
    assert "| 97.30 |" in text and "93.90 against 94.20, at 2.4 times" in text
    assert details.vae({"results": {}}).startswith("Chapter 04's full run has not")


def test_cvae_details_come_from_the_metrics():
    from labkit.book import details

    def spread(first, mean, sd):
        return {"first": first, "mean": mean, "sd": sd, "n": 3}

    test = {
        "salient_digit_knn": spread(0.86, 0.855, 0.004),
        "salient_digit_chance": spread(0.11, 0.11, 0.0),
        "background_digit_linear": spread(0.15, 0.16, 0.01),
        "layer_digit_linear": spread(0.1, 0.101, 0.002),
        "rmse_contrastive": spread(0.05, 0.05, 0.001),
    }
    results = {
        "data": {"train_targets": 30000, "validation_targets": 5000, "test_targets": 10000,
                 "opacity": 0.6, "background_variance_share": 1.02,
                 "digit_variance_share": 0.11, "test_digits": "fresh digits",
                 "data_seeds_from": 1000},
        "contrastive": {"model": "layered", "salient": spread(0.86, 0.855, 0.004),
                        "background": spread(0.12, 0.125, 0.005)},
        "vae": {"plain": spread(0.54, 0.535, 0.01)},
        "validation": {"plain VAE": {"z_knn_accuracy": 0.55},
                       "layered": {"s_knn_accuracy": 0.86, "z_knn_accuracy": 0.12}},
        "test": test, "targets": {"salient_digit_knn": {"met": True}},
        "tuned_penalties": {"tc": "tc, tc_weight = 1"},
        "curve": {"seeds": 2, "epochs": 35,
                  "rows": [{"opacity": o, "seed": s, "background_share": 1.1 - o / 5,
                            "salient_knn": 0.8, "plain_knn": o, "background_knn": 0.1,
                            "salient_linear": 0.85, "plain_linear": o, "background_linear": 0.2}
                           for o in (0.4, 0.9) for s in (0, 1)]},
        "epochs": 35, "seeds": [0, 1, 2], "knn_k": 5,
    }  # fmt: skip
    text = details.contrastive_vae(
        {"seconds": 2400, "seed": 0, "machine": {"cores": 2}, "results": results}
    )
    assert "the committed run 40.0 min on 2 CPU cores" in text and "seeds 0, 1, 2" in text
    assert "from empty stores" not in text  # a record without seconds_from_scratch says none
    with_scratch = details.contrastive_vae(
        {"seconds": 2400, "seconds_from_scratch": 2700, "seed": 0, "profile": "full",
         "machine": {"cores": 2}, "results": results}
    )  # fmt: skip
    assert "45 min from empty stores (budget: 45 min)" in with_scratch
    assert (
        "| layered: salient s | digit, k-NN | 0.855 ± 0.004 (n = 3) | 0.110 | | >= 0.85 | met |"
        in text
    )
    assert (
        "| layered: background z | digit, linear | 0.160 ± 0.010 (n = 3) | 0.000 | 0.101 "
        "| <= 0.2 | |" in text
    )
    assert "| plain VAE | | 0.550 |" in text and "tc, tc_weight = 1" in text
    assert "| 0.9 | 2 | 0.800 | 0.850 | 0.900 | 0.900 | 0.100 | 0.200 |" in text
    assert "| layered: background image from z | 0.0500 | 0.0010 |" in text
    assert details.contrastive_vae({"results": {}}).startswith("Chapter 05's full run has not")


def test_the_readme_shows_the_committed_default_run_and_full_pdf():
    from labkit.book import costs

    text = (project_root() / "README.md").read_text()
    run = costs.stamps("quick")
    assert run, "no committed reports/quick/logs/*.done: run `make report` and commit them"
    block = costs.default_run(
        run, costs.pdf_record("quick"), headlines.load("quick"), headlines.load("full")
    )
    start, end = "<!-- defaultrun:start -->", "<!-- defaultrun:end -->"
    assert readme.with_table(text, block, start, end) == text, "run `python -m labkit readme`"
    pdf = costs.pdf_record("full")
    assert pdf, "no committed reports/full/logs/workbook.json: run `python -m labkit report`"
    said = costs.full_pdf(pdf)
    assert readme.with_table(text, said, "<!-- pdf:start -->", "<!-- pdf:end -->") == text
