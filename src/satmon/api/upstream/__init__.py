"""The API's adapters of its dependencies, one per process, each turning that
dependency's failures into :class:`satmon.api.problems.Unavailable` (a 503 naming it)."""
