"""Export Huawei Cloud SMS consistency results from an event, on FunctionGraph or AWS Lambda."""

__version__ = "0.1.0"
