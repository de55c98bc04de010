"""A local fake of the Microsoft identity platform and Microsoft Graph (see docs: issue 3).

Standalone on purpose: nothing here imports the rest of AppVentory.
"""
