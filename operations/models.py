"""No models of its own: ``models`` exists so that Django sends this app post_migrate (see apps.py)."""
