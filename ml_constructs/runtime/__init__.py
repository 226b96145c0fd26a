"""Code that runs in AWS (Lambda handlers, Spark scripts, lifecycle scripts).

Standard library and boto3 only, importable without CDK: each Lambda bundles this folder.
"""
