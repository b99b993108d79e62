"""Recommenders: one interface (:mod:`tunerec.recommenders.base`) for baselines, RNN and GA."""
