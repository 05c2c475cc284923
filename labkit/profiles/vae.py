"""Chapter 04 (the VAE): its settings per profile.

* mc: Monte-Carlo draws for the KL/ELBO checks; grad: draws per gradient estimator.
* fit_n: points for batch GD vs SGD (gd_passes / sgd_passes each; sweep_gd_passes: batch GD's
  passes per rate in the learning-rate sweep).
* subset / val: MNIST training images drawn (None: all 60 000), of which val for validation and
  the rest for fitting (data.split); test: test images scored (None: all 10 000).
* epochs / latent_dim: the derivation's VAE; headline_epochs / headline_latent_dim: the VAE with
  an autoregressive decoder term, trained with a cosine-decayed rate (the headline model; 80
  epochs are about 13.5 minutes on 2 cores).
* iwae_k: importance samples per test image (k >= 1000 in full).
* max_test_nll: the chapter fails if the IWAE bound's -log p(x) is above it (a sanity check, not
  a target).
"""

CHAPTER = "04_vae"

_COMMON = {"latent_dim": 16, "headline_latent_dim": 32}
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
        "fit_n": 4_000,
        "gd_passes": 40,
        "sweep_gd_passes": 20,
        "sgd_passes": 2,
        "subset": 2_500,
        "val": 500,
        "test": 200,
        "epochs": 2,
        "headline_epochs": 2,
        "iwae_k": 10,
        "max_test_nll": 400,
    },
    "quick": {
        **_COMMON,
        **_ALL_DATA,
        "mc": 100_000,
        "grad": 50_000,
        "epochs": 30,
        "headline_epochs": 10,
        "iwae_k": 100,
        "max_test_nll": 100,
    },
    "full": {
        **_COMMON,
        **_ALL_DATA,
        "mc": 1_000_000,
        "grad": 200_000,
        "epochs": 40,
        "headline_epochs": 80,
        "iwae_k": 1_000,
        "max_test_nll": 95,
    },
}
