"""`python -m calculus` is the `cost` command."""

from calculus.cli import run

run()
