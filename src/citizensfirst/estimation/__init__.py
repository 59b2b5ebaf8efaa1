"""Design-based estimation: the result type, estimators, quantile rules, quality, scales and scores."""
