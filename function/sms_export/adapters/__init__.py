"""One module per outside system: object stores, the SMS API, topics, metrics, secrets,
the platform's context and its logs. Each is built by clients.py and met through ports."""
