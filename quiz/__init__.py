"""sqlaquiz: a spaced-repetition quiz on SQLAlchemy with FastAPI whose examples really run."""

__version__ = "0.1.0"
