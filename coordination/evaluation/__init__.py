"""Evaluation: questionnaires, answers collected without accounts, equality monitoring and the impact report."""
