"""HTTP: the routes, their FastAPI dependencies and the JSON they answer."""
