"""Summaries with key points, each key point cited by a character range of the input."""
