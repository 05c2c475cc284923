"""Chapter 04, the variational autoencoder: :mod:`.derivation` (the thesis draft's derivation
checked in NumPy: the ELBO, KL terms, gradient estimators), :mod:`.model` (the Keras VAE, its
training and its likelihood bounds) and :mod:`.plots`.

Import the modules (``from labkit.vae import derivation, model``)."""
