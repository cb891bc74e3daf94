"""File-arrival sensors: new or changed files of a file source → runs of the partitions they touch."""
