"""Write the schema to schema.graphql: `python -m graphql_api.export`."""

from pathlib import Path

from graphql_api.schema import schema

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "schema.graphql"
    target.write_text(schema.as_str() + "\n")
    print(f"wrote {target}")
