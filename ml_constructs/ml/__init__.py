"""Train, tune and deploy: SageMaker constructs."""
