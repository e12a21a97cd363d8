//! CONTRACT (skeleton): Django-style management commands as library functions.
