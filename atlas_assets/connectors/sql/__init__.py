"""SQL sources: generic SQLAlchemy, PostgreSQL, MySQL/MariaDB, and what they share."""
