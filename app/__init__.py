"""Sonotag's Qt GUI: thin views and controllers over ``model``."""
