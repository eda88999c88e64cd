"""Infrastructure shared by every loss: namespaces, validation, reduction, stable primitives."""
