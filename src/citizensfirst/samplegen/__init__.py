"""The synthetic sample study (four waves) and its generator; outside the core's import graph.

Regenerate the shipped files with ``python -m citizensfirst.samplegen [--out DIR]``.

>>> from citizensfirst.samplegen import sample_path
"""

from .generator import generate_sample, main, sample_codebook_path, sample_path, simulate_wave
from .params import SAMPLE_DIR, SAMPLE_WAVES
from .truth import ground_truth

__all__ = ["SAMPLE_DIR", "SAMPLE_WAVES", "generate_sample", "ground_truth", "main", "sample_codebook_path", "sample_path", "simulate_wave"]
