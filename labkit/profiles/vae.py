"""Chapter 04 (the VAE): its settings per profile.

* mc: Monte-Carlo draws for the KL/ELBO checks; grad: draws per gradient estimator;
  baseline_draws: draws for the score function's baseline; dataset_n: points for eq. 2.8.
* fit_n: points for batch GA vs SGA (gd_passes / sgd_passes each; sweep_gd_passes: batch GA's
  passes per rate in the learning-rate sweep).
* subset / val: MNIST training images drawn (None: all 60 000), of which val for validation and
  the rest for fitting (data.split); test: test images scored (None: all 10 000).
* batch: the minibatch size; precision: the MNIST models' arithmetic in training ("auto":
  mixed bfloat16 where the CPU has bfloat16 instructions, else float32; every bound is
  scored in float32 whatever the model trained in).
* designs / design_epochs / design_k: the fully connected designs compared on validation (name
  -> VAE options: widths, the decoder mirroring them, and code size), each trained for
  design_epochs and scored with design_k importance samples; the chosen one is then measured
  against a convolutional encoder for as many epochs.
* seeds: how many seeds of the VAE as derived (seed, seed + 1, ...); ar_seeds: of the variant
  with the autoregressive term (its first seeds).
* epochs: every headline fit's ceiling, the VAE as derived's and the autoregressive variant's
  alike (the same budget), with Adam at 1e-3 falling to 0 along a half cosine over them; each
  fit keeps the weights of its epoch with the lowest validation -ELBO (the epochs are chosen
  on validation). fvsbn_epochs: the fully visible net's ceiling at a constant rate of 1e-3; it
  stops once fvsbn_patience epochs in a row lowered its validation -log p(x) by no more than
  fvsbn_delta nats (trained until its validation curve is flat).
* iwae_k: importance samples per test image (5 000 in full, the IWAE paper's); iwae_also:
  smaller k scored from the same draws (1 000 in full); ar_k: the autoregressive variant's
  test k (the VAE as derived's bound at the same k sits beside it); by_k_images: validation
  images for the bound-by-k table.
* max_test_nll: the chapter fails if any model's bound is above it (a sanity check). The
  target is the IWAE paper's factorised VAE (REFERENCES), for the mean over the seeds.
"""

CHAPTER = "04_vae"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = "busiest = np.argsort("
#: Minutes the chapter may take per profile on 2 cores from empty stores (its issue's budget).
BUDGETS = {"full": 90}

#: The README's generated section of the chapter (between ``<!-- NAME:start/end -->``);
#: its text and headline rows are the functions ``vae`` of
#: :mod:`labkit.book.details` and :mod:`labkit.book.headlines`.
README_SECTION = "vae"

#: The IWAE paper's numbers the chapter sets its own beside (Burda et al., 2016, dynamically
#: binarised MNIST, test -log p(x) bounds in nats): its VAE with a factorised decoder (scored with
#: k = 5 000) and its IWAE trained on the k = 50 bound, both trained for 3 280 passes.
REFERENCES = {
    "iwae_paper_vae_nats": 86.76,
    "iwae_paper_iwae_nats": 84.78,
    "iwae_paper_k": 5_000,
    "iwae_paper_passes": 3_280,
}

#: The fully connected designs compared on validation images (chapter 04, *Choices made on
#: validation images*): name -> VAE options.
DESIGNS = {
    "MLP 512-256, 16-d code": {"hidden": (512, 256), "latent_dim": 16},
    "MLP 512-256, 32-d code": {"hidden": (512, 256), "latent_dim": 32},
    "MLP 512-512, 32-d code": {"hidden": (512, 512), "latent_dim": 32},
}

_COMMON = {
    "batch": 128,
    "precision": "auto",
    "designs": DESIGNS,
    "dataset_n": 200,
    "fvsbn_delta": 0.05,
}
#: quick and full: the whole training set, its 5 000-image validation part and every test image.
_ALL_DATA = {
    "fit_n": 20_000,
    "gd_passes": 300,
    "sweep_gd_passes": 100,
    "sgd_passes": 5,
    "subset": None,
    "val": 5_000,
    "test": None,
}

PROFILES = {
    "smoke": {
        **_COMMON,
        "mc": 5_000,
        "grad": 5_000,
        "baseline_draws": 1_000,
        "fit_n": 4_000,
        "gd_passes": 40,
        "sweep_gd_passes": 20,
        "sgd_passes": 2,
        "subset": 2_500,
        "val": 500,
        "test": 200,
        "design_epochs": 1,
        "design_k": 5,
        "seeds": 2,
        "ar_seeds": 1,
        "epochs": 2,
        "fvsbn_epochs": 2,
        "fvsbn_patience": 1,
        "iwae_k": 10,
        "iwae_also": (5,),
        "ar_k": 10,
        "by_k_images": 100,
        "max_test_nll": 400,
    },
    "quick": {
        **_COMMON,
        **_ALL_DATA,
        "mc": 100_000,
        "grad": 50_000,
        "baseline_draws": 10_000,
        "design_epochs": 2,
        "design_k": 50,
        "seeds": 2,
        "ar_seeds": 1,
        "epochs": 8,
        "fvsbn_epochs": 4,
        "fvsbn_patience": 2,
        "iwae_k": 100,
        "iwae_also": (10,),
        "ar_k": 100,
        "by_k_images": 200,
        "max_test_nll": 110,
    },
    "full": {
        **_COMMON,
        **_ALL_DATA,
        "mc": 1_000_000,
        "grad": 200_000,
        "baseline_draws": 10_000,
        "design_epochs": 8,
        "design_k": 100,
        "seeds": 3,
        "ar_seeds": 1,
        "epochs": 140,
        "fvsbn_epochs": 40,
        "fvsbn_patience": 3,
        "iwae_k": 5_000,
        "iwae_also": (1_000,),
        "ar_k": 1_000,
        "by_k_images": 500,
        "max_test_nll": 95,
    },
}

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "every check of the derivation on the linear-Gaussian model (exact at any profile) and "
        "the VAEs trained for a few epochs over two seeds: their bounds sit several nats above "
        "`full`'s, the autoregressive variant (one seed, the same epochs) is compared with the "
        "VAE as derived on validation, and the design is chosen on shorter runs"
    ),
}
