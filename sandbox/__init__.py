"""A local fake of the Microsoft identity platform and Microsoft Graph (sandbox/README.md;
the behaviour it mimics: docs/graph.md).

Standalone on purpose: nothing here imports the rest of AppVentory.
"""
