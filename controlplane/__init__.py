"""The local AWS control plane: moto server, with moto's own stream-to-Lambda delivery turned off."""
