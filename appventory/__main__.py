"""`python -m appventory` is the `appventory` command."""

from appventory.cli import main

main()
