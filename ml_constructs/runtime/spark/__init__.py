"""PySpark scripts uploaded as single-file assets (Glue and EMR Serverless run them).

Plain PySpark only: no ``awsglue`` import, no CDK import, Python 3.9 compatible (the Python of
EMR Serverless 7.x), so the same file runs on Glue 5, on EMR Serverless 7 and in a local
SparkSession in the tests.
"""
