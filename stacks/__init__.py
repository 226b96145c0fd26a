"""Reference stacks composed only from ml_constructs."""
