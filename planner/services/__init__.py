"""Services: plain functions over a unit of work, each checking the acting user's role."""
