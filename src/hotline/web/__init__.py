"""Web layer: dependencies, templating, middleware, the WebSocket hub, templates and static files."""
