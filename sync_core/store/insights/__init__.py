"""What derive stores about applications and what insight reads aggregate: the SQL helpers,
the figure tables and their writes, usage and seat reads, insight state and evidence."""
