"""Artist embeddings initialised from co-listening (scipy sparse products, torch dense algebra).

Stack the binary sessions×artists and users×artists matrices of the training data, each
block with its columns scaled by 1/sqrt(column count), so that its Gram matrix is the
item-item cosine C_s + C_u (plus the diagonal). A truncated SVD of that stack gives
E = V_k·S_k with E·Eᵀ ≈ C_s + C_u: the best rank-k picture of who is listened with whom.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tunerec.recommenders.rnn.sequences import FlatSequences


def binary_matrix(seqs: FlatSequences, n_items: int) -> sp.csr_matrix:
    rows = seqs.group_ids()
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, seqs.items)), shape=(len(seqs), n_items))
    m.data[:] = 1.0  # duplicates summed by csr: keep binary
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def cosine_block(x: sp.csr_matrix) -> sp.csr_matrix:
    counts = np.asarray(x.sum(axis=0)).ravel()
    scale = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1e-12)), 0.0)
    return (x @ sp.diags(scale)).tocsr()


def svd_embeddings(parts: list[FlatSequences], n_items: int, dim: int, seed: int) -> np.ndarray:
    """(n_items, dim) float32 embeddings; rows scaled so the mean squared row norm is 1.

    Items absent from ``parts`` get small random rows.
    """
    blocks = [cosine_block(binary_matrix(p, n_items)) for p in parts if len(p)]
    rng = np.random.default_rng(seed)
    if not blocks:
        return rng.normal(0, 1 / np.sqrt(dim), size=(n_items, dim)).astype(np.float32)
    x = sp.vstack(blocks).tocsr()
    k = min(dim, min(x.shape) - 1)
    s, vt = randomized_svd(x, k, rng)
    # fix the sign of each component so results do not depend on the solver's choice
    signs = np.sign(vt[np.arange(len(s)), np.abs(vt).argmax(axis=1)])
    vt = vt * signs[:, None]
    emb = np.zeros((n_items, dim), dtype=np.float64)
    emb[:, :k] = (vt.T * s)
    seen = np.asarray(np.abs(x).sum(axis=0)).ravel() > 0
    rms = np.sqrt((emb[seen] ** 2).sum(axis=1).mean()) if seen.any() else 1.0
    emb /= max(rms, 1e-12)
    unseen = ~seen
    emb[unseen] = rng.normal(0, 0.01 / np.sqrt(dim), size=(int(unseen.sum()), dim))
    return emb.astype(np.float32)


def randomized_svd(x: sp.csr_matrix, k: int, rng: np.random.Generator, oversample: int = 16, power: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` singular values and right singular vectors of sparse ``x`` (Halko et al. 2011:
    random range finder with power iterations), deterministic for a given generator.

    The dense QR/SVD steps run in torch (its thread setting is respected; numpy's BLAS may
    use every core, which is very slow on a shared machine)."""
    import torch

    n = x.shape[1]
    xt = x.T.tocsr()

    def orth(a: np.ndarray) -> np.ndarray:
        return torch.linalg.qr(torch.from_numpy(a)).Q.numpy()

    q = orth(x @ rng.standard_normal((n, k + oversample)))
    for _ in range(power):
        q = orth(x @ orth(xt @ q))
    b = np.ascontiguousarray((xt @ q).T)  # (k+p, n) = qᵀ x
    _, s, vt = torch.linalg.svd(torch.from_numpy(b), full_matrices=False)
    return s.numpy()[:k], vt.numpy()[:k]
