"""The complaint BG/NBD likelihood: with k = 1 it is the BG/NBD one, by hand."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.models import voice


class TestLikelihood:
    def test_k_one_is_bgnbd(self):
        """With k = 1 the likelihood is the BG/NBD one (Fader, Hardie & Lee 2005, eq. 3), by hand."""
        from scipy.special import betaln, gammaln

        r, alpha, a, b = 0.24, 4.4, 0.79, 2.4
        x, tx, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 30.4, 20.0]), np.array([38.9, 38.9, 38.9])
        m, cx = np.array([0.0, 1.0, 2.0]), np.array([False, True, True])
        got = voice.complaint_loglik_terms(np.log([r, alpha, a, b, 1.0]), x, tx, T, m, cx)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        lik = (np.exp(betaln(a, b + x) - betaln(a, b) + a1 - (r + x) * np.log(alpha + T))
               + (x > 0) * np.exp(betaln(a + 1, b + x - 1) - betaln(a, b) + a1 - (r + x) * np.log(alpha + tx)))
        assert got == pytest.approx(np.log(lik), rel=1e-10)
