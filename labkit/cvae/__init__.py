"""Chapter 05, the contrastive VAE: :mod:`.data` (digits painted over textures, and the
background images), :mod:`.model` (the plain and contrastive VAEs, their training) and
:mod:`.plots`.

Import the modules (``from labkit.cvae import data, model``)."""
