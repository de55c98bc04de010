"""Block Kit builders: pure functions of records, one module per command group; they never
query. Each returns a message (`text` fallback plus `blocks`) or a view."""
