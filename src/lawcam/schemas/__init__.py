"""The In/Out models of every object, shared by the web API and the CLI (one JSON vocabulary):
``GET /api/v1/…`` answers an Out model and ``lawcam … --json`` prints the same model with
``model_dump(mode="json")``, so an object has the same keys and value formats on both sides
(tests/cli/test_json_vocabulary.py compares them). A layer below web and cli and above the
domains (pyproject.toml's import-linter contract): it reads domain models and types, never a
service."""
