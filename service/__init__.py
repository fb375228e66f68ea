"""The HTTP service: FastAPI API and the writers' pages, a thin layer over ``nlp_assises``."""
