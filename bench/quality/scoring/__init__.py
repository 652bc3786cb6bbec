"""Scoring: match parsed reports against truth and aggregate precision and recall per field."""
