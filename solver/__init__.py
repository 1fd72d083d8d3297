"""Assignment solver: plain data in, plan out. Imports neither Qt nor SQLModel."""
