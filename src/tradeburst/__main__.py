"""`python -m tradeburst` is the `tradeburst` command."""

from tradeburst.cli import main

main()
