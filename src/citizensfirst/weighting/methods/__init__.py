"""One module per weighting method (rake, calibrate, poststratify, trim); the registry is
:data:`citizensfirst.weighting.METHODS`."""
