"""Minimum Boolean circuits by exact synthesis, and the essay's minimal-circuit reduction."""
