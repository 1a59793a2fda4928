"""The export package for the natural resources and planning bureau (CGCS2000)."""
