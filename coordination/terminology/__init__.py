"""Terminology: practice-area concepts and the local and national words for them."""
