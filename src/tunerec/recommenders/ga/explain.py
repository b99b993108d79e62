"""Short, true explanations for each artist of a GA list, and the list's summary line."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from tunerec.recommenders.base import human_count
from tunerec.recommenders.ga.features import ItemFeatures
from tunerec.recommenders.ga.pool import COLISTEN, FRIENDS, LONGTAIL, TAGS, CandidatePool

#: An artist counts as a "discovery pick" below this share of the session-free median listeners.
DISCOVERY_LISTENERS = 0.5


def top_tag_cols(feat: ItemFeatures, items: np.ndarray, n: int) -> list[int]:
    """The n heaviest tag columns of the summed TF-IDF profile of ``items``."""
    if len(items) == 0:
        return []
    v = np.asarray(feat.tfidf[items].sum(axis=0)).ravel()
    nz = np.flatnonzero(v > 0)
    return [int(c) for c in nz[np.lexsort((nz, -v[nz]))][:n]]


def explain_list(
    feat: ItemFeatures,
    pool: CandidatePool,
    chosen: np.ndarray,
    session: np.ndarray,
    tag_cols: Sequence[int],
    name: Callable[[int], str],
    source_label: str,
) -> list[tuple[str, list[str]]]:
    """(line, details) per chosen pool index, in list order."""
    items = pool.items[chosen]
    sims = feat.colisten_sim(items, session) if len(session) else np.zeros((len(items), 0))
    session_tags = set(top_tag_cols(feat, session, 10)) | set(tag_cols)
    median = float(np.median(feat.listeners[pool.items])) if len(pool) else 0.0
    k = len(chosen)
    used_tags: set[int] = set()
    out = []
    for pos, j in enumerate(chosen):
        item = int(pool.items[j])
        reasons: list[tuple[int, str]] = []  # (priority, text): lower is shown first
        in_top = int(pool.rank[j]) < k
        if sims.shape[1]:
            best = int(np.argmax(sims[pos]))
            if sims[pos, best] > 0:
                line = f"co-listened with {name(int(feat.item_ids[session[best]]))} ({sims[pos, best]:.2f})"
                reasons.append((0 if in_top else 3, line))
        if source_label != "item-kNN" and int(pool.rank[j]) < len(feat.item_ids):
            reasons.append((1 if in_top else 4, f"{source_label} rank {int(pool.rank[j]) + 1} for this session"))
        mine = top_tag_cols(feat, np.asarray([item]), 8)
        explicit = [c for c in mine if c in set(tag_cols)]
        if explicit:
            reasons.append((1, "tagged " + ", ".join(feat.tag_name(c) for c in explicit[:2]) + " (your session tags)"))
        shared = [c for c in mine if c in session_tags and c not in explicit]
        if shared and (pool.origin[j] & TAGS or not reasons):
            reasons.append((2, "shares tags " + ", ".join(feat.tag_name(c) for c in shared[:2]) + " with your session"))
        dom = int(feat.dominant_tag[item])
        if dom >= 0 and dom not in session_tags and dom not in used_tags and not in_top:
            reasons.append((1, f"adds variety: first {feat.tag_name(dom)} artist in the list"))
        if dom >= 0:
            used_tags.add(dom)
        listeners = int(feat.listeners[item])
        if listeners < DISCOVERY_LISTENERS * median or pool.origin[j] & LONGTAIL:
            reasons.append((1 if not in_top else 2, f"discovery pick: {listeners_text(listeners)}"))
        if pool.origin[j] & FRIENDS and pool.friend_count[j] > 0:
            n_friends = int(pool.friend_count[j])
            reasons.append((2, f"played by {n_friends} friend{'s' if n_friends != 1 else ''} of people who play your artists"))
        if pool.origin[j] & COLISTEN and not sims.shape[1]:
            reasons.append((3, "co-listened with your session"))
        if not reasons:
            reasons.append((5, f"popular: {listeners_text(listeners)}"))
        reasons.sort(key=lambda r: r[0])
        texts = list(dict.fromkeys(t for _, t in reasons))
        out.append((texts[0], texts[1:]))
    return out


def listeners_text(n: int) -> str:
    """'1 listener', '37 listeners', '1.2k listeners'."""
    return f"{human_count(n)} listener{'s' if n != 1 else ''}"


def percent(new: float, old: float) -> str:
    if abs(old) < 1e-12:
        return "n/a"
    v = 100.0 * (new - old) / abs(old)
    sign = "+" if v >= 0 else "−"
    return f"{sign}{abs(v):.0f}%"


def summary_line(chosen: np.ndarray, baseline: np.ndarray, n_tags: int = 0) -> str:
    """Relevance / novelty / diversity of the chosen list versus the relevance-only list,
    e.g. ``"+45% novelty, +12% diversity, −8% relevance vs the relevance-only list"``."""
    parts = [
        f"{percent(chosen[1], baseline[1])} novelty",
        f"{percent(chosen[2], baseline[2])} diversity",
        f"{percent(chosen[0], baseline[0])} relevance",
    ]
    line = ", ".join(parts) + " vs the relevance-only list"
    if n_tags and len(chosen) > 3:
        line += f"; session-tag coverage {chosen[3]:.0%} (relevance-only {baseline[3]:.0%})"
    return line
