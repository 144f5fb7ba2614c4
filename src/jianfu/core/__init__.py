"""Infrastructure shared by every stage: parameters, errors, atomic and deterministic I/O."""
