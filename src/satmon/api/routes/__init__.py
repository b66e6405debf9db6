"""One router per resource; ``satmon.api.app`` mounts them under ``/api/v1``."""
