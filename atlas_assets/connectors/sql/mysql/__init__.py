"""MySQL and MariaDB: the resource and type mapping."""
