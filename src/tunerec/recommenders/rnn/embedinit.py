"""Artist embeddings initialised from co-listening (scipy sparse products, torch dense algebra).

Two starts. ``svd``: stack the binary sessions×artists and users×artists matrices of the training data, each
block with its columns scaled by 1/sqrt(column count), so that its Gram matrix is the
item-item cosine C_s + C_u (plus the diagonal). A truncated SVD of that stack gives
E = V_k·S_k with E·Eᵀ ≈ C_s + C_u: the best rank-k picture of who is listened with whom.

``ease``: the item-item weights B of the EASE baseline (:mod:`tunerec.recommenders.ease`:
each artist of a session or profile regressed on the others), factorised as B ≈ E_in·E_outᵀ; the mean
input embedding of a session dotted with the output embeddings then ranks like Σ_i B[i, j].
Unlike cosine similarity, B discounts artists that are merely co-listened with everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from tunerec.recommenders.ease import EASE_LAMBDA, EASE_MIN_COUNT, ease_weights
from tunerec.recommenders.rnn.sequences import FlatSequences

if TYPE_CHECKING:
    from tunerec.recommenders.rnn.config import RNNConfig
    from tunerec.recommenders.rnn.sequences import TrainingData


def initialise_items(net: Any, cfg: "RNNConfig", data: "TrainingData", seed: int) -> None:
    """Set ``net``'s item embeddings as ``cfg.init`` says (``glorot`` leaves them as they are)."""
    parts = [data.sessions, data.profiles]
    n, dim = net.n_items, cfg.embedding_dim
    if cfg.init == "svd":
        net.set_item_embeddings(svd_embeddings(parts, n, dim, seed) * cfg.init_scale)
    elif cfg.init == "ease":
        e_in, e_out = ease_embeddings(parts, n, dim, seed, lam=cfg.ease_lambda)
        net.set_item_embeddings(e_in * cfg.init_scale, e_out * cfg.init_scale)


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


def ease_embeddings(
    parts: list[FlatSequences], n_items: int, dim: int, seed: int, lam: float = EASE_LAMBDA, min_count: int = EASE_MIN_COUNT
) -> tuple[np.ndarray, np.ndarray]:
    """(input, output) embeddings, each (n_items, dim) float32 with mean squared row norm 1,
    from a rank-``dim`` factorisation of the EASE weights of the binary sessions+profiles
    matrix (ridge ``lam``). Artists in fewer than ``min_count`` rows get small random rows."""
    import torch

    rng = np.random.default_rng(seed)
    blocks = [binary_matrix(p, n_items) for p in parts if len(p)]
    small = lambda n: rng.normal(0, 0.01 / np.sqrt(dim), size=(n, dim))  # noqa: E731
    e_in, e_out = small(n_items), small(n_items)
    keep, p = ease_weights(sp.vstack(blocks) if blocks else sp.csr_matrix((0, n_items)), lam, min_count)
    if len(keep):
        k = min(dim, len(keep))
        gen = torch.Generator().manual_seed(seed)
        u, s, v = _lowrank(p, k, gen)
        del p
        root = s.sqrt()
        e_in[keep, :k] = (u * root).numpy()
        e_out[keep, :k] = (v * root).numpy()
    for e in (e_in, e_out):
        e /= max(float(np.sqrt((e[keep] ** 2).sum(axis=1).mean())) if len(keep) else 1.0, 1e-12)
    return e_in.astype(np.float32), e_out.astype(np.float32)


def _lowrank(a, k: int, gen, oversample: int = 16, power: int = 4):  # type: ignore[no-untyped-def]
    """Top-``k`` SVD of a dense square torch matrix (randomised range finder, deterministic
    for a seeded generator; signs fixed by each right vector's largest entry)."""
    import torch

    q = torch.linalg.qr(a @ torch.randn(a.shape[1], k + oversample, generator=gen)).Q
    for _ in range(power):
        q = torch.linalg.qr(a @ torch.linalg.qr(a.T @ q).Q).Q
    ub, s, vt = torch.linalg.svd(q.T @ a, full_matrices=False)
    u, s, v = (q @ ub)[:, :k], s[:k], vt[:k].T
    signs = torch.sign(v[v.abs().argmax(dim=0), torch.arange(k)])
    return u * signs, s, v * signs


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
