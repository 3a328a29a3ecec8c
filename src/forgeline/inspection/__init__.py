"""Automated optical inspection of cover glass: generate, detect, classify, decide, measure."""
