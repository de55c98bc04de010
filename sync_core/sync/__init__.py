"""The sync: fetch (Graph) → map (pure) → write (store), entity by entity, resumable."""
