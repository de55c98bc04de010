"""Local stand-ins for what AppVentory talks to, for the demo, the tests and the benchmarks:
the Microsoft identity platform and Microsoft Graph (sandbox/README.md; the behaviour it
mimics: docs/graph.md), Slack's Web API (`slack`), and a tally of the SQL statements a piece
of work sends (`statements`).

Standalone on purpose: nothing here imports the rest of AppVentory, and the product imports
nothing from here at run time (`appventory sandbox` and `demo` load it when asked for).
"""
