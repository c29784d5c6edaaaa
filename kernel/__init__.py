"""Plumbing every app shares and none owns: domain errors and their API mapping, paginators, HTTP helpers,
API authentication, the private document store. No models, and no imports from the project's apps."""
