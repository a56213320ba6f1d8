"""The HTTP gateway: commands in, queries and live streams out."""
