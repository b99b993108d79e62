"""Multi-objective genetic-algorithm list builder (DEAP NSGA-II): see :mod:`.recommender`."""

from tunerec.recommenders.ga.recommender import FrontList, GARecommender, GAResult, hybrid_ga

__all__ = ["FrontList", "GARecommender", "GAResult", "hybrid_ga"]
