"""Microsoft Graph v1.0 and beta, as the sandbox serves them."""
